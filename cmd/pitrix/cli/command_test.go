package cli

import (
	"testing"
)

// TestCatalogIsConsistent checks the command tree: nouns and verbs once each, none named
// like the commands cmd/pitrix or cobra add, each with a summary and a setup.
func TestCatalogIsConsistent(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, n := range catalog() {
		if seen[n.name] {
			t.Errorf("noun %q twice", n.name)
		}
		seen[n.name] = true
		switch n.name {
		case "server", "frontgate", "drone", "help", "completion", "__complete":
			t.Errorf("noun %q is reserved", n.name)
		}
		verbs := map[string]bool{}
		for _, v := range n.verbs {
			if verbs[v.name()] {
				t.Errorf("%s: verb %q twice", n.name, v.name())
			}
			verbs[v.name()] = true
			if v.setup == nil || v.summary == "" {
				t.Errorf("%s %s: no setup or summary", n.name, v.name())
			}
		}
	}
}
