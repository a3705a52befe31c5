// Command indexbench compares the memory and time of reading a large repo index with
// package index's streaming Read against Helm's repo.LoadIndexFile.
//
// It generates a deterministic index (default 15,000 versions, about 26 MB, see package
// indextest), then runs each reader in a fresh child process of itself, -runs times, so
// each measurement starts from an empty heap and the peak resident set (VmHWM in
// /proc/self/status) belongs to that reader alone. A child also samples the live heap
// (runtime/metrics heap objects bytes) every millisecond for the peak heap column, and
// reports its resident set before reading, the Go runtime's and binary's share that both
// readers pay. The streaming reader keeps a compact record per version (name, version,
// digest, first url, created), as a catalog indexer would; Helm's result is kept until
// the end too. Both run with the default GOGC.
//
// Then, unless -no-reindex, it measures the repo indexer (repo.Indexer on a real Pebble store)
// re-indexing the same index, unchanged, served over loopback HTTP with an ETag, with a
// Last-Modified only and with neither, against the parse alone in the same run (see reindex.go).
//
//	go run ./bench/indexbench -versions 15000 -out /tmp/index.yaml
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/pitrix/pitrix/actors/repo/index"
	"github.com/pitrix/pitrix/actors/repo/index/indextest"
	"helm.sh/helm/v3/pkg/repo"
)

// result is what a child reports on its stdout, as one JSON line.
type result struct {
	Versions  int   `json:"versions"`
	WallNS    int64 `json:"wall_ns"`
	BaseRSSKB int64 `json:"base_rss_kb"`
	PeakRSSKB int64 `json:"peak_rss_kb"`
	PeakHeap  int64 `json:"peak_heap_bytes"`
}

func main() {
	versions := flag.Int("versions", 15000, "chart versions in the generated index")
	out := flag.String("out", "", "where to write the generated index (kept); default a temporary file (removed)")
	runs := flag.Int("runs", 3, "child runs per reader")
	child := flag.String("child", "", "internal: run one reader (stream or helm) on -index and report")
	noReindex := flag.Bool("no-reindex", false, "skip the repo indexer's re-index rows")
	path := flag.String("index", "", "internal: the index a child reads")
	flag.Parse()

	if *child != "" {
		if err := runChild(*child, *path); err != nil {
			fmt.Fprintln(os.Stderr, "indexbench child:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*versions, *out, *runs, !*noReindex); err != nil {
		fmt.Fprintln(os.Stderr, "indexbench:", err)
		os.Exit(1)
	}
}

func run(versions int, out string, runs int, withReindex bool) error {
	if out == "" {
		dir, err := os.MkdirTemp("", "indexbench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		out = filepath.Join(dir, "index.yaml")
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	charts, err := indextest.Generate(f, indextest.Options{Versions: versions, Seed: 1})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("generate %s: %w", out, err)
	}
	fi, err := os.Stat(out)
	if err != nil {
		return err
	}
	fmt.Printf("index %s: %.1f MB, %d charts, %d versions; %d runs each, GOMAXPROCS %d\n\n",
		out, float64(fi.Size())/1e6, charts, versions, runs, runtime.GOMAXPROCS(0))

	self, err := os.Executable()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "reader\tversions\twall best\twall median\tpeak RSS\tRSS before read\tpeak heap\t")
	for _, mode := range []string{"stream", "helm"} {
		var rs []result
		for range runs {
			r, err := runOnce(self, mode, out)
			if err != nil {
				return err
			}
			rs = append(rs, r)
		}
		slices.SortFunc(rs, func(a, b result) int { return int(a.WallNS - b.WallNS) })
		peakRSS, base, heap := int64(0), int64(0), int64(0)
		for _, r := range rs {
			peakRSS, base, heap = max(peakRSS, r.PeakRSSKB), max(base, r.BaseRSSKB), max(heap, r.PeakHeap)
		}
		name := map[string]string{"stream": "index.Read", "helm": "helm repo.LoadIndexFile"}[mode]
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%.1f MB\t%.1f MB\t%.1f MB\t\n", name, rs[0].Versions,
			time.Duration(rs[0].WallNS).Round(time.Millisecond), time.Duration(rs[len(rs)/2].WallNS).Round(time.Millisecond),
			float64(peakRSS)/1024, float64(base)/1024, float64(heap)/1e6)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !withReindex {
		return nil
	}
	return reindex(out, max(runs, 3))
}

func runOnce(self, mode, path string) (result, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(self, "-child", mode, "-index", path)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return result{}, fmt.Errorf("child %s: %w: %s", mode, err, stderr.String())
	}
	var r result
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		return result{}, fmt.Errorf("child %s output %q: %w", mode, stdout.String(), err)
	}
	return r, nil
}

// compact is what a catalog indexer might keep per version.
type compact struct {
	name, version, digest, url string
	created                    int64
}

func runChild(mode, path string) error {
	base, err := statusKB("VmRSS")
	if err != nil {
		return err
	}
	stop := make(chan struct{})
	var peakHeap int64
	var wg sync.WaitGroup
	wg.Go(func() { peakHeap = sampleHeap(stop) })

	start := time.Now()
	var n int
	var keep any
	switch mode {
	case "stream":
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		var recs []compact
		_, err = index.Read(bufio.NewReaderSize(f, 64<<10), index.Limits{}, func(v index.Version) error {
			recs = append(recs, compact{v.Name, v.Version, v.Digest, v.URLs[0], v.Created.Unix()})
			return nil
		})
		f.Close()
		if err != nil {
			return err
		}
		n, keep = len(recs), recs
	case "helm":
		idx, err := repo.LoadIndexFile(path)
		if err != nil {
			return err
		}
		for _, cvs := range idx.Entries {
			n += len(cvs)
		}
		keep = idx
	default:
		return fmt.Errorf("unknown reader %q", mode)
	}
	wall := time.Since(start)
	close(stop)
	wg.Wait()
	runtime.KeepAlive(keep)
	peak, err := statusKB("VmHWM")
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(result{Versions: n, WallNS: wall.Nanoseconds(),
		BaseRSSKB: base, PeakRSSKB: peak, PeakHeap: peakHeap})
}

// sampleHeap returns the largest live-heap reading taken every millisecond until stop.
func sampleHeap(stop <-chan struct{}) int64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak int64
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for {
		metrics.Read(s)
		peak = max(peak, int64(s[0].Value.Uint64()))
		select {
		case <-stop:
			return peak
		case <-t.C:
		}
	}
}

// statusKB reads a "kB" field of /proc/self/status.
func statusKB(field string) (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/self/status", field)
}
