package store

import (
	"bytes"
	"fmt"
	"maps"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestPowerLossKeepsAcknowledgedWrites complements TestKillDurability: a killed process
// leaves its written-but-unsynced data in the OS page cache, so only a power loss tells
// whether Apply really waited for the fsync. Pebble's crashable filesystem can clone itself
// keeping only what was synced; every write acknowledged before the clone must be in it.
func TestPowerLossKeepsAcknowledgedWrites(t *testing.T) {
	t.Parallel()
	fs := vfs.NewCrashableMem()
	cfg := Config{Logger: testLogger(t)}
	d, err := open("db", cfg, fs)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	var mu sync.Mutex
	acked := map[string]uint64{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("w%d-%06d", w, i)
				idx, err := d.Apply(t.Context(), Op{Key: key, Value: []byte(key), Expect: Absent})
				if err != nil {
					t.Errorf("apply %s: %v", key, err)
					return
				}
				mu.Lock()
				acked[key] = idx
				mu.Unlock()
			}
		})
	}
	waitFor(t, "some commits", func() bool { return d.Stats().Applies >= 200 })

	// Writers keep running: the power goes out in the middle of their work.
	mu.Lock()
	before := maps.Clone(acked)
	mu.Unlock()
	crashed := fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})
	close(stop)
	wg.Wait()

	r, err := open("db", cfg, crashed)
	if err != nil {
		t.Fatalf("open after power loss: %v", err)
	}
	defer r.Close()
	for key, idx := range before {
		rec, err := r.Get(t.Context(), key)
		if err != nil || !bytes.Equal(rec.Value, []byte(key)) || rec.Version != idx {
			t.Fatalf("acknowledged %s (index %d) after power loss: %+v, %v", key, idx, rec, err)
		}
	}
	if r.LastIndex() < uint64(len(before)) {
		t.Fatalf("LastIndex after power loss = %d, below %d acknowledged applies", r.LastIndex(), len(before))
	}
	t.Logf("%d acknowledged writes survived; last index %d", len(before), r.LastIndex())
}
