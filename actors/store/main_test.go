package store

import (
	"log/slog"
	"testing"

	"github.com/pitrix/pitrix/internal/testutil"
)

// TestMain fails the run if a goroutine (ours or pebble's) outlives the tests: every test
// must Close what it opens.
func TestMain(m *testing.M) { testutil.VerifyTestMain(m) }

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// openMem opens a store on pebble's in-memory filesystem, closed at the end of the test.
func openMem(t testing.TB, cfg Config) *DB {
	t.Helper()
	cfg.InMemory = true
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	d, err := Open("mem", cfg)
	if err != nil {
		t.Fatalf("Open in memory: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return d
}

// openDir opens a store on disk in dir. The caller closes it.
func openDir(t testing.TB, dir string) *DB {
	t.Helper()
	d, err := Open(dir, Config{Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Open %s: %v", dir, err)
	}
	return d
}

// mustApply applies ops and fails the test on error.
func mustApply(t testing.TB, s Store, ops ...Op) uint64 {
	t.Helper()
	idx, err := s.Apply(t.Context(), ops...)
	if err != nil {
		t.Fatalf("Apply %+v: %v", ops, err)
	}
	return idx
}

func lookupAll(t testing.TB, s Store, term string, opts ScanOptions) []string {
	t.Helper()
	keys := []string{}
	if err := s.Lookup(t.Context(), term, opts, func(k string) error {
		keys = append(keys, k)
		return nil
	}); err != nil {
		t.Fatalf("Lookup %q %+v: %v", term, opts, err)
	}
	return keys
}

func scanKeys(t testing.TB, s Store, opts ScanOptions) []string {
	t.Helper()
	keys := []string{}
	if err := s.Scan(t.Context(), opts, func(r Record) error {
		keys = append(keys, r.Key)
		return nil
	}); err != nil {
		t.Fatalf("Scan %+v: %v", opts, err)
	}
	return keys
}
