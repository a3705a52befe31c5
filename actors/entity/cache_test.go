package entity

import (
	"fmt"
	"slices"
	"testing"

	"github.com/pitrix/pitrix/actors/store"
)

type tagged struct {
	ID   string   `json:"id"`
	Tags []string `json:"tags"`
}

// TestCacheFollowsVersions checks that a cached read sees every write (a new version is
// decoded again), that a List through the cache gives what a plain List gives, and that
// values handed out are copies.
func TestCacheFollowsVersions(t *testing.T) {
	db := openStore(t)
	ctx := t.Context()
	c := NewCache(4, func(v tagged) tagged { v.Tags = slices.Clone(v.Tags); return v })
	for i := range 10 {
		r := tagged{ID: fmt.Sprintf("t%02d", i), Tags: []string{"a", fmt.Sprint(i)}}
		if _, err := db.Apply(ctx, MustPut("tag/"+r.ID, r, store.Absent, "k=x")); err != nil {
			t.Fatal(err)
		}
	}
	got, ver, err := GetCached(ctx, db, "tag/t03", c)
	if err != nil || got.Tags[1] != "3" {
		t.Fatalf("GetCached = %+v, %v", got, err)
	}
	got.Tags[0] = "changed by the caller"
	again, _, _ := GetCached(ctx, db, "tag/t03", c)
	if again.Tags[0] != "a" {
		t.Fatalf("a caller's change reached the cache: %+v", again)
	}
	if _, err := db.Apply(ctx, MustPut("tag/t03", tagged{ID: "t03", Tags: []string{"new"}}, ver)); err != nil {
		t.Fatal(err)
	}
	after, ver2, err := GetCached(ctx, db, "tag/t03", c)
	if err != nil || ver2 == ver || !slices.Equal(after.Tags, []string{"new"}) {
		t.Fatalf("after a write GetCached = %+v v%d (was v%d), %v", after, ver2, ver, err)
	}
	for _, term := range []string{"", "k=x"} {
		for range 2 { // the second walk reads from the cache (bounded at 4: most are evicted again)
			plain, n1, err1 := List(ctx, db, Query[tagged]{Prefix: "tag/", Term: term, Limit: 3, Offset: 2})
			cached, n2, err2 := List(ctx, db, Query[tagged]{Prefix: "tag/", Term: term, Limit: 3, Offset: 2, Cache: c})
			if err1 != nil || err2 != nil || n1 != n2 || fmt.Sprint(plain) != fmt.Sprint(cached) {
				t.Fatalf("term %q: List %v %d %v, cached %v %d %v", term, plain, n1, err1, cached, n2, err2)
			}
		}
	}
	// A write after a listed walk shows in the next List (the store's last index moved). c2 is
	// large enough to keep the walks.
	c2 := NewCache(100, func(v tagged) tagged { v.Tags = slices.Clone(v.Tags); return v })
	for _, term := range []string{"", "k=x"} {
		if _, _, err := List(ctx, db, Query[tagged]{Prefix: "tag/", Term: term, Limit: 1, Cache: c2}); err != nil {
			t.Fatal(err)
		}
	}
	if len(c2.lists) != 2 || c2.listed != 19 {
		t.Fatalf("c2 keeps %d walks of %d records, want 2 of 19", len(c2.lists), c2.listed)
	}
	if _, err := db.Apply(ctx, MustPut("tag/t99", tagged{ID: "t99", Tags: []string{"late"}}, store.Absent, "k=x")); err != nil {
		t.Fatal(err)
	}
	for term, want := range map[string]int{"": 11, "k=x": 10} { // t03 was rewritten without its term
		got, n, err := List(ctx, db, Query[tagged]{Prefix: "tag/", Term: term, Limit: 1, Cache: c2})
		if err != nil || n != want || len(got) != 1 || got[0].ID != "t99" {
			t.Fatalf("term %q after a write: List = %v, %d, %v; want t99 first of %d", term, got, n, err, want)
		}
		got[0].Tags[0] = "changed by the caller"
		again, _, _ := List(ctx, db, Query[tagged]{Prefix: "tag/", Term: term, Limit: 1, Cache: c2})
		if again[0].Tags[0] != "late" {
			t.Fatalf("a caller's change reached the listed snapshot: %+v", again)
		}
	}
	if len(c.m) > 4 {
		t.Fatalf("cache holds %d entries, bound 4", len(c.m))
	}
}
