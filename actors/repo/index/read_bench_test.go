package index

import (
	"bytes"
	"testing"

	"github.com/pitrix/pitrix/actors/repo/index/indextest"
)

func BenchmarkRead(b *testing.B) {
	var buf bytes.Buffer
	if _, err := indextest.Generate(&buf, indextest.Options{Versions: 2000, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var n int
	for b.Loop() {
		st, err := Read(bytes.NewReader(data), Limits{}, func(Version) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		n += st.Versions
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "versions/s")
}
