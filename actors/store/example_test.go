package store_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/pitrix/pitrix/actors/store"
)

// An actor creates its record, updates it with the version it loaded, and a stale owner that
// loaded the same version is fenced off.
func Example() {
	ctx := context.Background()
	db, err := store.Open("example", store.Config{InMemory: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	v1, _ := db.Apply(ctx, store.Op{Key: "cl-001", Value: []byte("pending"), Expect: store.Absent,
		Terms: []string{"runtime_id=rt-1", "status=pending"}})

	// Owner A and stale owner B both loaded cl-001 at v1. A writes first.
	v2, err := db.Apply(ctx, store.Op{Key: "cl-001", Value: []byte("active"), Expect: v1,
		Terms: []string{"runtime_id=rt-1", "status=active"}})
	fmt.Println("A:", v2, err)
	_, err = db.Apply(ctx, store.Op{Key: "cl-001", Value: []byte("deleted"), Expect: v1})
	fmt.Println("B:", errors.Is(err, store.ErrConflict), err)

	_ = db.Lookup(ctx, "status=active", store.ScanOptions{Prefix: "cl-"}, func(key string) error {
		rec, err := db.Get(ctx, key)
		fmt.Println("active:", rec.Key, string(rec.Value), rec.Version, rec.Terms, err)
		return nil
	})
	// Output:
	// A: 2 <nil>
	// B: true store: version conflict on key "cl-001": expected version 1, found version 2
	// active: cl-001 active 2 [runtime_id=rt-1 status=active] <nil>
}
