package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"
)

// Report is one run's outcome: the setting, then each side's figures and their ratio.
type Report struct {
	Started     time.Time     `json:"started"`
	GoVersion   string        `json:"go_version"`
	GOMAXPROCS  int           `json:"gomaxprocs"`
	NumCPU      int           `json:"num_cpu"`
	Conns       int           `json:"conns"`
	Warmup      time.Duration `json:"warmup_ns"`
	Duration    time.Duration `json:"duration_ns"`
	Requests    int           `json:"requests_cap,omitempty"`
	Path        string        `json:"path"`
	Apps        int           `json:"extra_apps"` // apps written besides the seed repo's
	BodyBytes   int           `json:"body_bytes"`
	ContentType string        `json:"content_type"`
	Body        string        `json:"body"`  // the answer both sides sent
	Sides       []sideResult  `json:"sides"` // pitrix, then bare
	Ratio       ratio         `json:"ratio"` // pitrix over bare
}

// ratio compares the REST front with the bare handler: pitrix's figure over bare's.
type ratio struct {
	ReqPerSec float64 `json:"req_per_s"`
	P50       float64 `json:"p50"`
	P99       float64 `json:"p99"`
}

func ratioOf(p, b sideResult) ratio {
	div := func(x, y float64) float64 {
		if y == 0 {
			return 0
		}
		return x / y
	}
	return ratio{ReqPerSec: div(p.ReqPerSec, b.ReqPerSec), P50: div(float64(p.P50), float64(b.P50)), P99: div(float64(p.P99), float64(b.P99))}
}

// writeTable prints r for people.
func writeTable(w io.Writer, r Report) error {
	fmt.Fprintf(w, "GET %s (%d-byte %s body), %d more apps, %d conns, %v warm-up + %v per side, GOMAXPROCS %d, %s\n\n",
		r.Path, r.BodyBytes, r.ContentType, r.Apps, r.Conns, r.Warmup, r.Duration, r.GOMAXPROCS, r.GoVersion)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "side\trequests\terrors\treq/s\tmean\tp50\tp90\tp99\tmax\tallocs/req\tB/req\t")
	for _, s := range r.Sides {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t%.1f\t%.0f\t\n", s.Side, s.Requests, s.Errors, s.ReqPerSec,
			us(s.Mean), us(s.P50), us(s.P90), us(s.P99), us(s.Max), s.AllocsPerReq, s.BytesPerReq)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\npitrix/bare: req/s %.2fx, p50 %.2fx, p99 %.2fx\n", r.Ratio.ReqPerSec, r.Ratio.P50, r.Ratio.P99)
	for _, s := range r.Sides {
		if s.FirstError != "" {
			fmt.Fprintf(w, "%s: first errors: %s\n", s.Side, s.FirstError)
		}
	}
	return err
}

// us formats d in microseconds with one decimal, the scale of loopback latencies.
func us(d time.Duration) string { return fmt.Sprintf("%.1fµs", float64(d)/1e3) }

// writeJSON writes r as indented JSON to path.
func writeJSON(path string, r Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return nil
}
