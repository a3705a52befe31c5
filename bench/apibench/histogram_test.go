package main

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestBuckets checks that every value falls in the bucket bucketOf names and that a bucket is
// at most 1/64 of its values wide.
func TestBuckets(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	vals := []uint64{0, 1, 63, 64, 127, 128, 129, 255, 256, 1000, 1 << 40, 1<<63 - 1, 1 << 63, 1<<64 - 1}
	for range 10000 {
		vals = append(vals, rng.Uint64()>>rng.IntN(64))
	}
	for _, v := range vals {
		i := bucketOf(v)
		if i < 0 || i >= numBuckets {
			t.Fatalf("bucketOf(%d) = %d, out of 0..%d", v, i, numBuckets-1)
		}
		lo, w := bucketRange(i)
		if v < lo || v-lo >= w {
			t.Fatalf("bucketOf(%d) = %d covering [%d, %d+%d)", v, i, lo, lo, w)
		}
		if w > 1 && w > lo/subCount {
			t.Fatalf("bucket %d: width %d over 1/%d of %d", i, w, subCount, lo)
		}
	}
}

func TestQuantile(t *testing.T) {
	uniform := func(h *histogram) {
		for i := 1; i <= 1000; i++ {
			h.record(time.Duration(i) * time.Microsecond)
		}
	}
	tail := func(h *histogram) { // 99% at 100µs, 1% at 10ms
		for i := range 1000 {
			d := 100 * time.Microsecond
			if i%100 == 0 {
				d = 10 * time.Millisecond
			}
			h.record(d)
		}
	}
	for _, tc := range []struct {
		name string
		fill func(*histogram)
		q    float64
		want time.Duration
	}{
		{"empty", func(*histogram) {}, 0.5, 0},
		{"one", func(h *histogram) { h.record(42 * time.Millisecond) }, 0.99, 42 * time.Millisecond},
		{"uniform p50", uniform, 0.5, 500 * time.Microsecond},
		{"uniform p99", uniform, 0.99, 990 * time.Microsecond},
		{"uniform p100", uniform, 1, 1000 * time.Microsecond},
		{"tail p50", tail, 0.5, 100 * time.Microsecond},
		{"tail p99", tail, 0.99, 100 * time.Microsecond},
		{"tail p99.5", tail, 0.995, 10 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h histogram
			tc.fill(&h)
			got := h.quantile(tc.q)
			if diff := got - tc.want; diff < -tc.want/50 || diff > tc.want/50 {
				t.Fatalf("quantile(%v) = %v, want %v within 2%%", tc.q, got, tc.want)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	var a, b histogram
	a.record(time.Millisecond)
	b.record(3 * time.Millisecond)
	b.record(5 * time.Millisecond)
	a.merge(&b)
	if a.n != 3 || a.max != 5*time.Millisecond || a.mean() != 3*time.Millisecond {
		t.Fatalf("merged: n %d, max %v, mean %v; want 3, 5ms, 3ms", a.n, a.max, a.mean())
	}
}
