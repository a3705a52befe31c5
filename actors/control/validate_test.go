package control

import (
	"strings"
	"testing"
)

// TestNameProblems: every name the plane accepts (repos, apps, runtimes, credentials,
// clusters, categories go through problems.name) refuses control characters, NUL and
// bidirectional overrides, and the problem names the field.
func TestNameProblems(t *testing.T) {
	cases := []struct {
		name, in string
		want     string // substring of the problem; "" for an accepted name
	}{
		{"plain", "web-frontend", ""},
		{"unicode", "Überwachung 监控", ""},
		{"empty", "", "required"},
		{"blank", "   ", "required"},
		{"too long", strings.Repeat("n", 65), "at most 64"},
		{"nul", "a\x00b", "U+0000"},
		{"newline", "a\nb", "U+000A"},
		{"carriage return", "a\rb", "U+000D"},
		{"escape sequence", "\x1b]0;pwned\x07", "U+001B"},
		{"c1", "a\u009bb", "U+009B"},
		{"rlo", "invoice\u202efdp.exe", "U+202E"},
		{"lro", "a\u202db", "U+202D"},
		{"pdf", "a\u202cb", "U+202C"},
		{"fsi", "a\u2068b", "U+2068"},
		{"invalid utf-8", "a\xc3", "UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			pr := problems{}
			pr.name("name", c.in, true)
			got, bad := pr["name"]
			if c.want == "" {
				if bad {
					t.Fatalf("name %q refused: %s", c.in, got)
				}
				return
			}
			if !bad || !strings.Contains(got, c.want) {
				t.Fatalf("name %q: problems %v, want the field name to say %q", c.in, pr, c.want)
			}
		})
	}
}
