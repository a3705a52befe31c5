package cli

import (
	"flag"
	"io"
	"slices"
	"testing"
)

func TestParseInterleaved(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		pos     []string
		name1   string
		verbose bool
	}{
		{name: "flags first", args: []string{"--name", "n", "a", "b"}, pos: []string{"a", "b"}, name1: "n"},
		{name: "flags between", args: []string{"a", "--name=n", "b", "-v"}, pos: []string{"a", "b"}, name1: "n", verbose: true},
		{name: "terminator", args: []string{"a", "--", "--name", "-v"}, pos: []string{"a", "--name", "-v"}},
		{name: "dash is an argument", args: []string{"-", "--name", "n"}, pos: []string{"-"}, name1: "n"},
		{name: "none", args: nil, pos: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			name := fs.String("name", "", "")
			v := fs.Bool("v", false, "")
			pos, err := parseInterleaved(fs, tt.args)
			if err != nil {
				t.Fatalf("parseInterleaved(%q): %v", tt.args, err)
			}
			if !slices.Equal(pos, tt.pos) || *name != tt.name1 || *v != tt.verbose {
				t.Errorf("parseInterleaved(%q) = %q name=%q v=%v", tt.args, pos, *name, *v)
			}
		})
	}
}

func TestCatalogIsConsistent(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, n := range catalog() {
		if seen[n.name] {
			t.Errorf("noun %q twice", n.name)
		}
		seen[n.name] = true
		if n.name == "server" || n.name == "frontgate" || n.name == "drone" || n.name == "help" {
			t.Errorf("noun %q is reserved", n.name)
		}
		verbs := map[string]bool{}
		for _, v := range n.verbs {
			if verbs[v.name()] {
				t.Errorf("%s: verb %q twice", n.name, v.name())
			}
			verbs[v.name()] = true
			if v.run == nil || v.summary == "" {
				t.Errorf("%s %s: no run or summary", n.name, v.name())
			}
		}
	}
}
