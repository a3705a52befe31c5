package audit

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/pitrix/pitrix/actors/idgen"
	"github.com/pitrix/pitrix/actors/store"
)

func TestAppendAndFilters(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "store"), store.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	l := New(db, idgen.New(nil))
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	batch := []Entry{
		{Time: t0, UserID: "usr-a", Action: "POST /v1/repos", ResourceID: "repo-1", Status: 201},
		{Time: t0.Add(time.Minute), UserID: "usr-b", Action: "POST /v1/repos", Status: 400},
		{Time: t0.Add(2 * time.Minute), UserID: "usr-a", Action: "DELETE /v1/repos/{id}", ResourceID: "repo-1", Status: 403},
	}
	if err := l.Append(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(ctx, []Entry{{Time: t0.Add(3 * time.Minute), UserID: "usr-b", Action: "DELETE /v1/repos/{id}", ResourceID: "repo-2", Status: 204}}); err != nil {
		t.Fatal(err)
	}
	if batch[0].ID == "" || batch[0].Result != "2xx" || batch[2].Result != "4xx" {
		t.Fatalf("Append did not set ids and results: %+v", batch)
	}
	for name, c := range map[string]struct {
		q    Query
		want int
	}{
		"all":               {Query{}, 4},
		"user":              {Query{UserID: "usr-a"}, 2},
		"action":            {Query{Action: "POST /v1/repos"}, 2},
		"resource":          {Query{ResourceID: "repo-1"}, 2},
		"class":             {Query{Result: "4xx"}, 2},
		"status":            {Query{Result: "403"}, 1},
		"user and resource": {Query{UserID: "usr-b", ResourceID: "repo-1"}, 0},
		"user and class":    {Query{UserID: "usr-a", Result: "2xx"}, 1},
		"since":             {Query{Since: t0.Add(time.Minute)}, 3},
		"until":             {Query{Until: t0.Add(time.Minute)}, 1},
		"window":            {Query{Since: t0.Add(time.Minute), Until: t0.Add(3 * time.Minute)}, 2},
	} {
		items, total, err := l.List(ctx, c.q)
		if err != nil || total != c.want || len(items) != c.want {
			t.Errorf("%s: List = %d items, total %d, %v; want %d", name, len(items), total, err, c.want)
		}
	}
	items, total, err := l.List(ctx, Query{Limit: 2, Offset: 1})
	if err != nil || total != 4 || len(items) != 2 || items[0].ResourceID != "repo-1" || items[0].Status != 403 {
		t.Fatalf("page = %+v, total %d, %v; want newest first from the second", items, total, err)
	}
	if err := l.Append(ctx, make([]Entry, MaxBatch+1)); err == nil {
		t.Fatal("Append over MaxBatch succeeded")
	}
}
