package safetext

import (
	"strings"
	"testing"
)

func TestNameProblem(t *testing.T) {
	cases := []struct {
		name, in string
		want     string // a substring of the problem; "" when the name is fine
	}{
		{"plain", "redis-cache", ""},
		{"spaces and accents", "Café de Flore", ""},
		{"cjk and emoji", "数据库 🚀", ""},
		{"real replacement char", "a\uFFFDb", ""},
		{"nul", "a\x00b", "U+0000 at byte 1"},
		{"newline", "line\nbreak", "U+000A at byte 4"},
		{"tab", "a\tb", "U+0009"},
		{"escape", "\x1b[31mred", "U+001B at byte 0"},
		{"del", "a\x7f", "U+007F"},
		{"c1 control", "a\u0085b", "U+0085"},
		{"lre", "a\u202ab", "U+202A"},
		{"rlo trojan source", "evil\u202egnp.exe", "U+202E at byte 4"},
		{"lri", "x\u2066y", "U+2066"},
		{"pdi", "x\u2069", "U+2069"},
		{"rlm", "x\u200f", "U+200F"},
		{"invalid utf8", "a\xffb", "invalid byte at 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := NameProblem(c.in)
			if c.want == "" {
				if got != "" {
					t.Fatalf("NameProblem(%q) = %q, want none", c.in, got)
				}
				return
			}
			if !strings.Contains(got, c.want) {
				t.Fatalf("NameProblem(%q) = %q, want it to say %q", c.in, got, c.want)
			}
		})
	}
}

func FuzzNameProblem(f *testing.F) {
	for _, s := range []string{"ok", "evil\u202egnp", "a\x00", "\xff", "数据"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := NameProblem(s)
		if p == "" {
			for _, r := range s {
				if Unsafe(r) {
					t.Fatalf("%q accepted with %U", s, r)
				}
			}
		}
		if p == "" && !strings.ContainsRune(s, '\uFFFD') && !isValid(s) {
			t.Fatalf("invalid UTF-8 %q accepted", s)
		}
	})
}

func isValid(s string) bool { return strings.ToValidUTF8(s, "") == s }
