package idgen

import (
	"strings"
	"testing"
	"time"
)

func TestNextSortsByTimeAndIsUnique(t *testing.T) {
	clock := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	g := New(func() time.Time { return clock })
	seen := map[string]bool{}
	prev := ""
	for i := range 10000 {
		if i%1000 == 0 {
			clock = clock.Add(time.Millisecond)
		}
		id := g.Next("app")
		if !strings.HasPrefix(id, "app-") || len(id) != len("app-")+16 {
			t.Fatalf("id %q has the wrong shape", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		if id <= prev {
			t.Fatalf("id %q does not sort after %q", id, prev)
		}
		seen[id], prev = true, id
	}
}

func TestNextLaterClockSortsAfter(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g := New(func() time.Time { return clock })
	a := g.Next("repo")
	clock = clock.Add(24 * time.Hour)
	g2 := New(func() time.Time { return clock })
	if b := g2.Next("repo"); b <= a {
		t.Fatalf("a later id %q sorts before %q", b, a)
	}
}
