package confd

import (
	"testing"
)

// BenchmarkRenderRedisUnchanged measures what a metadata watch costs when
// nothing relevant changed: both Redis resources rendered and compared, no
// file written, no command run.
func BenchmarkRenderRedisUnchanged(b *testing.B) {
	bundle, err := Load(packageFiles(b, redisPackage))
	if err != nil {
		b.Fatal(err)
	}
	for i := range bundle.Resources {
		bundle.Resources[i].ReloadCmd = ""
	}
	in := newInstance(b)
	v := selfView(b, redisCluster(), "i-r1")
	in.r.Render(b.Context(), bundle, v)
	b.ReportAllocs()
	for b.Loop() {
		for _, rep := range in.r.Render(b.Context(), bundle, v) {
			if rep.Status() != StatusUnchanged {
				b.Fatalf("%s: %s %v", rep.Name, rep.Status(), rep.Err)
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "renders/s")
}
