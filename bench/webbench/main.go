package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pitrix/pitrix/bench/benchkit"
)

// Config is one run of the bench.
type Config struct {
	Bin      string // the pitrix binary; default: built into a temp dir
	Chromium string // default /usr/bin/chromium
	Runs     int    // cold loads measured (default 15)
	DemoSrc  string // default demo/packages
}

func (c Config) withDefaults() Config {
	if c.Chromium == "" {
		c.Chromium = "/usr/bin/chromium"
	}
	if c.Runs == 0 {
		c.Runs = 15
	}
	if c.DemoSrc == "" {
		c.DemoSrc = filepath.Join("demo", "packages")
	}
	return c
}

// Validate reports every bad field.
func (c Config) Validate() error {
	var errs []error
	if c.Runs < 1 || c.Runs > 1000 {
		errs = append(errs, fmt.Errorf("webbench: runs %d: want 1..1000", c.Runs))
	}
	if _, err := os.Stat(c.Chromium); err != nil {
		errs = append(errs, fmt.Errorf("webbench: chromium: %w", err))
	}
	return errors.Join(errs...)
}

// sample is one cold load of the store page.
type sample struct {
	JSBytes, CSSBytes, DocBytes int     // transferred (compressed) bytes
	JSRaw, CSSRaw               int     // decoded bytes
	DCL, Ready                  float64 // ms from navigation start: DOMContentLoaded, store ready
	Base                        float64 // ms: the baseline, a cold load of /healthz (a tiny JSON page) in the same context
}

const measure = `(() => {
  const rs = performance.getEntriesByType('resource');
  const sum = (ext, k) => rs.filter(e => new URL(e.name).pathname.endsWith(ext)).reduce((a, e) => a + e[k], 0);
  const nav = performance.getEntriesByType('navigation')[0];
  const ready = performance.getEntriesByName('pitrix:store-ready')[0];
  return { JSBytes: sum('.js', 'transferSize'), CSSBytes: sum('.css', 'transferSize'), DocBytes: nav.transferSize,
    JSRaw: sum('.js', 'decodedBodySize'), CSSRaw: sum('.css', 'decodedBodySize'),
    DCL: nav.domContentLoadedEventEnd, Ready: ready ? ready.startTime : -1 };
})()`

func main() {
	var cfg Config
	flag.StringVar(&cfg.Bin, "bin", "", "pitrix binary (default: build one)")
	flag.StringVar(&cfg.Chromium, "chromium", "", "chromium binary (default /usr/bin/chromium)")
	flag.IntVar(&cfg.Runs, "runs", 0, "cold loads to measure (default 15)")
	flag.Parse()
	if err := run(context.Background(), cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg Config) (err error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "webbench-")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(tmp)) }()
	if cfg.Bin == "" {
		cfg.Bin = filepath.Join(tmp, "pitrix")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", cfg.Bin, "./cmd/pitrix")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/pitrix (run from the module's folder, or pass -bin): %w\n%s", err, out.String())
		}
	}
	startCtx, cancel := context.WithTimeout(ctx, time.Minute)
	srv, err := benchkit.StartServer(startCtx, cfg.Bin, filepath.Join(tmp, "data"), []string{"--demo-src", cfg.DemoSrc}, nil, slog.New(slog.DiscardHandler))
	cancel()
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, srv.Close()) }()
	token, err := srv.Token()
	if err != nil {
		return err
	}
	if err := waitApps(ctx, srv.URL(), token, 3); err != nil {
		return err
	}

	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(cfg.Chromium), chromedp.UserDataDir(filepath.Join(tmp, "chrome")),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 800))
	defer cancelAlloc()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		return fmt.Errorf("start chromium: %w", err)
	}
	var samples []sample
	for i := 0; i < cfg.Runs+1; i++ { // the first load warms the server and is not counted
		s, err := coldLoad(bctx, srv.URL(), token)
		if err != nil {
			return fmt.Errorf("load %d: %w", i, err)
		}
		if i > 0 {
			samples = append(samples, s)
		}
	}
	report(samples)
	return nil
}

// coldLoad loads the store in a fresh browser context (empty cache) signed in with token.
func coldLoad(bctx context.Context, base, token string) (sample, error) {
	tctx, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	defer cancel()
	ctx, cancelT := context.WithTimeout(tctx, 30*time.Second)
	defer cancelT()
	// The token goes into the origin's sessionStorage from a page that loads no bundle file.
	tok, _ := json.Marshal(token)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/healthz")); err != nil {
		return sample{}, err
	}
	baseline, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`performance.getEntriesByType('navigation')[0].loadEventEnd`))
	if err != nil {
		return sample{}, err
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`sessionStorage.setItem('pitrix.token', `+string(tok)+`), true`)); err != nil {
		return sample{}, err
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/ui/store")); err != nil {
		return sample{}, err
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`performance.getEntriesByName('pitrix:store-ready').length > 0 && document.querySelectorAll('.cards .card').length >= 3`)); err != nil {
		return sample{}, fmt.Errorf("the store never became ready: %w", err)
	}
	smp, err := chromedp.Run(ctx, chromedp.Evaluate[sample](measure))
	smp.Base = baseline
	return smp, err
}

func waitApps(ctx context.Context, base, token string, n int) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/v1/apps", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			var p struct {
				TotalCount int `json:"total_count"`
			}
			err = json.NewDecoder(resp.Body).Decode(&p)
			resp.Body.Close()
			if err == nil && p.TotalCount >= n {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("webbench: the demo apps were not listed within 30s")
}

func report(ss []sample) {
	med := func(f func(sample) float64) float64 {
		v := make([]float64, len(ss))
		for i, s := range ss {
			v[i] = f(s)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	p90 := func(f func(sample) float64) float64 {
		v := make([]float64, len(ss))
		for i, s := range ss {
			v[i] = f(s)
		}
		slices.Sort(v)
		return v[(len(v)*9)/10-boolInt(len(v) >= 10)]
	}
	s := ss[0]
	fmt.Printf("store page, %d cold loads on loopback (chromium headless, 1280x800)\n", len(ss))
	fmt.Printf("%-34s %10s\n", "figure", "value")
	fmt.Printf("%-34s %9.1f KB (raw %.1f KB)\n", "JS transferred (gzip)", float64(s.JSBytes)/1024, float64(s.JSRaw)/1024)
	fmt.Printf("%-34s %9.1f KB (raw %.1f KB)\n", "CSS transferred (gzip)", float64(s.CSSBytes)/1024, float64(s.CSSRaw)/1024)
	fmt.Printf("%-34s %9.1f KB\n", "index.html transferred", float64(s.DocBytes)/1024)
	fmt.Printf("%-34s %9.1f KB   goal < 200 KB\n", "page weight (JS+CSS+HTML)", float64(s.JSBytes+s.CSSBytes+s.DocBytes)/1024)
	fmt.Printf("%-34s %9.0f ms\n", "DOMContentLoaded, median", med(func(s sample) float64 { return s.DCL }))
	fmt.Printf("%-34s %9.0f ms   goal < 300 ms\n", "store interactive, median", med(func(s sample) float64 { return s.Ready }))
	fmt.Printf("%-34s %9.0f ms\n", "store interactive, p90", p90(func(s sample) float64 { return s.Ready }))
	base := med(func(s sample) float64 { return s.Base })
	fmt.Printf("%-34s %9.0f ms\n", "baseline: /healthz page, median", base)
	fmt.Printf("%-34s %9.1f×\n", "store interactive / baseline", med(func(s sample) float64 { return s.Ready })/base)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
