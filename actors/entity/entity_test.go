package entity

import (
	"errors"
	"fmt"
	"testing"

	"github.com/pitrix/pitrix/actors/store"
)

type rec struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
}

func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestPutGetListPages(t *testing.T) {
	db := openStore(t)
	ctx := t.Context()
	for i := range 7 {
		r := rec{ID: fmt.Sprintf("r%02d", i), Name: fmt.Sprintf("name-%d", 6-i), Kind: []string{"a", "b"}[i%2]}
		if _, err := db.Apply(ctx, MustPut("rec/"+r.ID, r, store.Absent, "kind="+r.Kind)); err != nil {
			t.Fatal(err)
		}
	}
	got, v, err := Get[rec](ctx, db, "rec/r03")
	if err != nil || got.Name != "name-3" || v == 0 {
		t.Fatalf("Get = %+v, %d, %v", got, v, err)
	}
	if _, _, err := Get[rec](ctx, db, "rec/none"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get missing: %v", err)
	}
	// Newest (highest key) first, paged.
	page, total, err := List(ctx, db, Query[rec]{Prefix: "rec/", Limit: 3, Offset: 1})
	if err != nil || total != 7 || len(page) != 3 || page[0].ID != "r05" || page[2].ID != "r03" {
		t.Fatalf("List page = %+v total %d err %v", page, total, err)
	}
	// Through an index term, with a filter.
	page, total, err = List(ctx, db, Query[rec]{Prefix: "rec/", Term: "kind=a", Keep: func(r rec) bool { return r.ID != "r00" }})
	if err != nil || total != 3 || len(page) != 3 || page[0].ID != "r06" {
		t.Fatalf("List term = %+v total %d err %v", page, total, err)
	}
	// Sorted by name.
	page, _, err = List(ctx, db, Query[rec]{Prefix: "rec/", Limit: 2, Less: func(a, b rec) bool { return a.Name < b.Name }})
	if err != nil || len(page) != 2 || page[0].Name != "name-0" || page[1].Name != "name-1" {
		t.Fatalf("List sorted = %+v err %v", page, err)
	}
	// A stale version is refused.
	if _, err := db.Apply(ctx, MustPut("rec/r03", got, v-1)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale put: %v, want conflict", err)
	}
	n := 0
	if err := Each(ctx, db, "rec/", "kind=b", func(r rec, ver uint64) error {
		if ver == 0 {
			t.Errorf("record %s has version 0", r.ID)
		}
		n++
		return nil
	}); err != nil || n != 3 {
		t.Fatalf("Each = %d, %v", n, err)
	}
	if !Contains("ME-3", "x", "name-3") || Contains("zzz", "name") || !Contains("", "anything") {
		t.Fatal("Contains is wrong")
	}
}
