package main

import (
	"bytes"
	"context"
	"fmt"

	"net"
	"net/http"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/idgen"
	"github.com/pitrix/pitrix/actors/repo"
	"github.com/pitrix/pitrix/actors/repo/index"
	"github.com/pitrix/pitrix/actors/repo/source"
	"github.com/pitrix/pitrix/actors/seal"
	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/internal/netguard"
)

// reindex measures, in this process, the repo indexer (repo.Indexer on a real Pebble store)
// on the generated index served over loopback HTTP three ways: with an ETag, with a
// Last-Modified only, and with neither. Per way it times the first run (everything written)
// and then -runs re-runs of the unchanged index (best and median), next to the parse of the
// same bytes alone (index.Read), which is what every unchanged re-run cost while the digest
// was only compared after parsing.
func reindex(path string, runs int) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	modTime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	mux := http.NewServeMux()
	mux.HandleFunc("/etag/index.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"idx-1"`)
		http.ServeContent(w, r, "index.yaml", time.Time{}, bytes.NewReader(data))
	})
	mux.HandleFunc("/lastmod/index.yaml", func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "index.yaml", modTime, bytes.NewReader(data))
	})
	mux.HandleFunc("/plain/index.yaml", func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "index.yaml", time.Time{}, bytes.NewReader(data))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	dir, err := os.MkdirTemp("", "indexbench-store")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(filepath.Join(dir, "store"), store.Config{})
	if err != nil {
		return err
	}
	defer st.Close()
	sealer, err := seal.Open(dir)
	if err != nil {
		return err
	}
	loopback, err := netguard.ParseAllow("127.0.0.0/8")
	if err != nil {
		return err
	}
	guard, err := netguard.New(netguard.Config{Allow: loopback})
	if err != nil {
		return err
	}
	src, err := source.New(source.Config{Guard: guard})
	if err != nil {
		return err
	}
	ix := &repo.Indexer{Store: st, Source: src, Sealer: sealer, IDs: idgen.New(nil)}
	ctx := context.Background()

	// The parse alone, as every unchanged re-run paid before.
	var parse []time.Duration
	for range runs {
		start := time.Now()
		if _, err := index.Read(bytes.NewReader(data), index.Limits{}, func(index.Version) error { return nil }); err != nil {
			return err
		}
		parse = append(parse, time.Since(start))
	}
	parseBest, parseMed := bestMedian(parse)

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\nrepo indexer, unchanged index\tfirst run\tre-run best\tre-run median\tre-run / parse\tresult\t")
	fmt.Fprintf(tw, "index.Read alone (parse)\t\t%s\t%s\t1.00\t\t\n", ms(parseBest), ms(parseMed))
	for i, way := range []string{"etag", "lastmod", "plain"} {
		r := catalog.StoredRepo{Repo: catalog.Repo{ID: fmt.Sprintf("repo-%d", i), Name: way, Type: source.TypeHTTP,
			URL: "http://" + ln.Addr().String() + "/" + way, Providers: []string{"kubernetes"},
			Visibility: catalog.VisibilityPublic, Status: "active"}}
		start := time.Now()
		var ev catalog.RepoEvent
		if err := ix.Run(ctx, r, &ev); err != nil {
			return fmt.Errorf("first run (%s): %w", way, err)
		}
		first := time.Since(start)
		var again []time.Duration
		for range runs {
			ev = catalog.RepoEvent{}
			start := time.Now()
			if err := ix.Run(ctx, r, &ev); err != nil {
				return fmt.Errorf("re-run (%s): %w", way, err)
			}
			again = append(again, time.Since(start))
			if !ev.Skipped {
				return fmt.Errorf("re-run (%s) of an unchanged index was not skipped: %s", way, ev.Result)
			}
		}
		best, med := bestMedian(again)
		name := map[string]string{"etag": "server sends ETag (304)", "lastmod": "Last-Modified only (304)", "plain": "neither (digest of raw bytes)"}[way]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.3f\t%s\t\n", name, ms(first), ms(best), ms(med), float64(med)/float64(parseMed), ev.Result)
	}
	return tw.Flush()
}

func bestMedian(ds []time.Duration) (time.Duration, time.Duration) {
	s := append([]time.Duration(nil), ds...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[0], s[len(s)/2]
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}
