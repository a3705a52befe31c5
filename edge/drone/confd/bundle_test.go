package confd

import (
	"strings"
	"testing"

	"github.com/pitrix/pitrix/edge/metadata"
)

func TestLoadErrors(t *testing.T) {
	files := map[string][]byte{
		"confd/conf.d/a.toml":     []byte("[template]\nsrc = \"missing.tmpl\"\ndest = \"/a\"\n"),
		"confd/conf.d/b.toml":     []byte("[template]\nsrc = \"b.tmpl\"\n"),
		"confd/conf.d/notes.txt":  []byte("ignored"),
		"confd/conf.d/sub/c.toml": []byte("ignored: not a direct child"),
		"confd/templates/b.tmpl":  []byte("b"),
	}
	_, err := Load(files)
	if err == nil {
		t.Fatal("Load accepted bad resources")
	}
	for _, want := range []string{"confd/conf.d/a.toml", "missing.tmpl", "confd/conf.d/b.toml", "dest is required"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if b, err := Load(map[string][]byte{"config.json": []byte("{}")}); err != nil || len(b.Resources) != 0 || b.Prefix != DefaultPrefix {
		t.Errorf("package without confd: %+v, %v", b, err)
	}
}

func TestPrefix(t *testing.T) {
	tests := []struct {
		name, toml, want string
		bad              bool
	}{
		{"absent", "backend = \"x\"\n", "", false},
		{"basic", "prefix = \"/self/host\"\n", "/self/host", false},
		{"literal with comment", "prefix = '/' # whole tree\n", "/", false},
		{"in a table is ignored", "[x]\nprefix = \"/nope\"\n", "", false},
		{"relative", "prefix = \"self\"\n", "", true},
		{"unclean", "prefix = \"/self/\"\n", "", true},
		{"unquoted", "prefix = /self\n", "", true},
		{"unterminated", "prefix = \"/self\n", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePrefix([]byte(tc.toml))
			if (err != nil) != tc.bad || got != tc.want {
				t.Fatalf("ParsePrefix = %q, %v; want %q, bad=%v", got, err, tc.want, tc.bad)
			}
		})
	}
	// A prefix changes what keys are relative to.
	v := metadata.View{"/host/ip": "127.0.0.7"}
	for prefix, tmpl := range map[string]string{"/self": `{{getv "/host/ip"}}`, "/self/host": `{{getv "/ip"}}`, "/": `{{getv "/self/host/ip"}}`} {
		out, err := execute(resource("/x", tmpl), scope(v, prefix, nil), limits{maxOutput: 1 << 10, maxSteps: 10}, host{})
		if err != nil || string(out) != "127.0.0.7" {
			t.Errorf("prefix %s: %q, %v", prefix, out, err)
		}
	}
}

func FuzzParsePrefix(f *testing.F) {
	f.Add([]byte("prefix = \"/self\"\n"))
	f.Add([]byte("prefix = '/a' # c\n[t]\nprefix = 1"))
	f.Add([]byte("prefix = \"\\u0000\""))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePrefix(data)
		if err == nil && p != "" && p[0] != '/' {
			t.Fatalf("accepted relative prefix %q", p)
		}
	})
}
