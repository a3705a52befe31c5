package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/pitrix/pitrix/providers/pkgrepo"
)

// maxChart bounds the chart archive the bench downloads.
const maxChart = 16 << 20

// chartRepo is a one-chart Helm repository served over HTTP on loopback, and the bytes of
// that chart as the repository serves them. Close stops the server.
type chartRepo struct {
	srv     *httptest.Server
	name    string
	version string
	tgz     []byte
}

// startChartRepo packs the chart at chartDir into outDir with its index.yaml, serves outDir
// and downloads the archive back from it (checking its digest).
func startChartRepo(ctx context.Context, chartDir, outDir string) (*chartRepo, error) {
	now := time.Now()
	e, err := pkgrepo.Pack(chartDir, outDir, now)
	if err != nil {
		return nil, err
	}
	if err := pkgrepo.WriteIndex(outDir, []pkgrepo.Entry{e}, now); err != nil {
		return nil, err
	}
	r := &chartRepo{srv: httptest.NewServer(http.FileServer(http.Dir(outDir))), name: e.Name, version: e.Version}
	if r.tgz, err = r.download(ctx, e.URLs[0]); err != nil {
		r.Close()
		return nil, err
	}
	if sum := sha256.Sum256(r.tgz); hex.EncodeToString(sum[:]) != e.Digest {
		r.Close()
		return nil, fmt.Errorf("chart %s: downloaded digest %x, index says %s", e.URLs[0], sum, e.Digest)
	}
	return r, nil
}

func (r *chartRepo) download(ctx context.Context, name string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.srv.URL+"/"+name, nil)
	if err != nil {
		return nil, fmt.Errorf("download chart %s: %w", name, err)
	}
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("download chart %s: %w", name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download chart %s: %s", name, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxChart+1))
	if err != nil {
		return nil, fmt.Errorf("download chart %s: %w", name, err)
	}
	if len(b) > maxChart {
		return nil, fmt.Errorf("download chart %s: over %d bytes", name, maxChart)
	}
	return b, nil
}

// URL is the repository's base URL.
func (r *chartRepo) URL() string { return r.srv.URL }

// Close stops serving the repository.
func (r *chartRepo) Close() { r.srv.Close() }
