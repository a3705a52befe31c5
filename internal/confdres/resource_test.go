package confdres

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, toml, want string // want "" means valid
	}{
		{"multi-line string", "[template]\nsrc = \"\"\"a.tmpl\"\"\"\ndest = \"/etc/a.conf\"\nkeys = [\"/host\", \"/env\"]\nmode = \"0644\"\nreload_cmd = 'kill -HUP \"$(cat /run/a.pid)\"'\n", ""},
		{"full", "# c\n[template]\nsrc = \"a.tmpl\" # trailing\ndest = '/etc/a.conf'\nkeys = [\n  \"/host\", # one\n  \"/env\",\n]\ncheck_cmd = \"test -s {{.src}}\"\nreload_cmd = \"kill -HUP \\\"$(cat /run/a.pid)\\\"\"\nmode = \"0644\"\nuid = 0\n", ""},
		{"reload_fails_job not a bool", "[template]\nsrc = \"a\"\ndest = \"/a\"\nreload_fails_job = \"yes\"\n", "must be true or false"},
		{"no table", "src = \"a\"", "no [template] table"},
		{"no src", "[template]\ndest = \"/a\"", "src is required"},
		{"src escapes", "[template]\nsrc = \"../x\"\ndest = \"/a\"", "relative path under templates/"},
		{"relative dest", "[template]\nsrc = \"a\"\ndest = \"a\"", "clean absolute path"},
		{"unclean dest", "[template]\nsrc = \"a\"\ndest = \"/a/../b\"", "clean absolute path"},
		{"key not absolute", "[template]\nsrc = \"a\"\ndest = \"/a\"\nkeys = [\"host\"]", `"host" must start with /`},
		{"bad mode", "[template]\nsrc = \"a\"\ndest = \"/a\"\nmode = \"rw\"", "not an octal mode"},
		{"src not a string", "[template]\nsrc = 1\ndest = \"/a\"", "must be a string"},
		{"unterminated string", "[template]\nsrc = \"a", "toml: "},
		{"unclosed array", "[template]\nkeys = [\"/a\",\n", "line 2"},
		{"duplicate key", "[template]\nsrc = \"a\"\nsrc = \"b\"", "already been defined"},
		{"no equals", "[template]\nsrc", "toml: "},
		{"keys not strings", "[template]\nsrc = \"a\"\ndest = \"/a\"\nkeys = [1]", "list of strings"},
	}
	if res, err := Parse([]byte("[template]\nsrc = \"a\"\ndest = \"/a\"\nreload_fails_job = true\n")); err != nil || !res.ReloadFailsJob {
		t.Errorf("reload_fails_job = true: %+v, %v", res, err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := Parse([]byte(tt.toml))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("parse: %v", err)
			case tt.want == "" && (res.Src != "a.tmpl" || res.Dest != "/etc/a.conf" || len(res.Keys) != 2 || res.Mode != "0644" || !strings.Contains(res.ReloadCmd, `"$(cat /run/a.pid)"`)):
				t.Errorf("resource = %+v", res)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("parse = %v, want %q", err, tt.want)
			}
		})
	}
}
