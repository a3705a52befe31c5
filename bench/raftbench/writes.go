package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// writeRow is one write-throughput phase.
type writeRow struct {
	System  string
	Nodes   int // 0 for the baselines
	Writers int
	Writes  uint64
	Elapsed time.Duration
	P50     time.Duration
	P99     time.Duration
	// PerFsync is writes per state-machine fsync (store group commits, or the leader's
	// ApplyLog batches); 0 when not known.
	PerFsync float64
	Errors   uint64
	FirstErr string
}

func (w writeRow) rate() float64 {
	if w.Elapsed <= 0 {
		return 0
	}
	return float64(w.Writes) / w.Elapsed.Seconds()
}

// writeFunc writes key (a new one) as writer w's i-th write.
type writeFunc func(ctx context.Context, w, i int, key string) error

// measureWrites runs writers closed-loop writers calling write with new keys: a warm-up of a
// fifth of d (at most 500 ms), then d measured. Writes answered inside the measured window
// count. It returns when every writer has stopped.
func measureWrites(ctx context.Context, prefix string, writers int, d time.Duration, write writeFunc) writeRow {
	type local struct {
		n, errs  uint64
		firstErr error
		lat      []time.Duration
	}
	var measuring atomic.Bool
	stop := make(chan struct{})
	locals := make([]local, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			l := &locals[w]
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-ctx.Done():
					return
				default:
				}
				key := fmt.Sprintf("%s-w%03d-%09d", prefix, w, i)
				wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
				t := time.Now()
				err := write(wctx, w, i, key)
				el := time.Since(t)
				cancel()
				if !measuring.Load() {
					continue
				}
				if err != nil {
					l.errs++
					if l.firstErr == nil {
						l.firstErr = err
					}
					// Do not spin on a failing node.
					time.Sleep(10 * time.Millisecond)
					continue
				}
				l.n++
				l.lat = append(l.lat, el)
			}
		})
	}
	_ = sleep(ctx, min(d/5, 500*time.Millisecond))
	measuring.Store(true)
	t0 := time.Now()
	_ = sleep(ctx, d)
	measuring.Store(false)
	elapsed := time.Since(t0)
	close(stop)
	wg.Wait()

	row := writeRow{Writers: writers, Elapsed: elapsed}
	var lat []time.Duration
	for _, l := range locals {
		row.Writes += l.n
		row.Errors += l.errs
		if l.firstErr != nil && row.FirstErr == "" {
			row.FirstErr = l.firstErr.Error()
		}
		lat = append(lat, l.lat...)
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		row.P50 = lat[len(lat)/2]
		row.P99 = lat[min(len(lat)-1, len(lat)*99/100)]
	}
	return row
}
