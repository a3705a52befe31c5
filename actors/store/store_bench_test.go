package store

import (
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
)

// BenchmarkApplyParallel measures durable single-op Applies from many goroutines on disk:
// the throughput group commit buys, and how many writes share each fsync.
func BenchmarkApplyParallel(b *testing.B) {
	for _, par := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("writers=%dxGOMAXPROCS", par), func(b *testing.B) {
			d, err := Open(b.TempDir(), Config{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			value := make([]byte, 256)
			var seq atomic.Uint64
			before := d.Stats()
			b.ReportAllocs()
			b.SetParallelism(par)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					key := fmt.Sprintf("cl-%012d", seq.Add(1))
					if _, err := d.Apply(b.Context(), Op{Key: key, Value: value, Expect: Absent, Terms: []string{"status=active"}}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			after := d.Stats()
			applies, commits := after.Applies-before.Applies, after.Commits-before.Commits
			b.ReportMetric(float64(applies)/b.Elapsed().Seconds(), "writes/s")
			if commits > 0 {
				b.ReportMetric(float64(applies)/float64(commits), "writes/fsync")
			}
		})
	}
}

// BenchmarkGet measures point reads of records already flushed to sstables and cached.
func BenchmarkGet(b *testing.B) {
	d, err := Open(b.TempDir(), Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	const n = 10000
	value := make([]byte, 256)
	ops := make([]Op, 0, 1000)
	for i := range n {
		ops = append(ops, Op{Key: fmt.Sprintf("cl-%012d", i), Value: value, Terms: []string{"status=active"}})
		if len(ops) == cap(ops) {
			if _, err := d.Apply(b.Context(), ops...); err != nil {
				b.Fatal(err)
			}
			ops = ops[:0]
		}
	}
	if err := d.db.Flush(); err != nil {
		b.Fatal(err)
	}
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("cl-%012d", (i*7919)%n)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := d.Get(b.Context(), keys[i%n]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
