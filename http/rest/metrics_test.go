package rest

import (
	"bytes"
	"maps"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/valyala/fasthttp"
)

// scrape fetches /metrics in the text format and parses it, failing the test if either fails.
func (e *testEnv) scrape() map[string]*dto.MetricFamily {
	e.t.Helper()
	r := e.call("GET", "/metrics", "")
	if r.status != 200 || !bytes.HasPrefix([]byte(r.header.Get("Content-Type")), []byte("text/plain")) {
		e.t.Fatalf("metrics: %d %s: %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	return parseMetrics(e.t, r.body)
}

func parseMetrics(t *testing.T, text []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("parse metrics: %v\n%s", err, text)
	}
	return mfs
}

// metricValue returns the value of the sample of family name whose labels are exactly labels:
// a counter's or gauge's value, or a histogram's sample count.
func metricValue(mfs map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	mf := mfs[name]
	if mf == nil {
		return 0, false
	}
	// The empty label value means "no such label" in the data model; drop it on both sides.
	want := maps.Clone(labels)
	if want == nil {
		want = map[string]string{}
	}
	maps.DeleteFunc(want, func(_, v string) bool { return v == "" })
	for _, m := range mf.GetMetric() {
		got := map[string]string{}
		for _, lp := range m.GetLabel() {
			if lp.GetValue() != "" {
				got[lp.GetName()] = lp.GetValue()
			}
		}
		if !maps.Equal(got, want) {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		case m.Untyped != nil:
			return m.GetUntyped().GetValue(), true
		}
	}
	return 0, false
}

func TestStatusLabel(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   string
	}{{200, "200"}, {404, "404"}, {503, "503"}, {418, "other"}, {0, "other"}} {
		if got := statusLabel(tc.status); got != tc.want {
			t.Errorf("statusLabel(%d) = %q, want %q", tc.status, got, tc.want)
		}
	}
}

// TestMetricsRegistryPerServer checks that two Servers in one process count separately (each
// has its own registry, not the global default one).
func TestMetricsRegistryPerServer(t *testing.T) {
	get := func(s *Server, path string) *fasthttp.RequestCtx {
		var req fasthttp.Request
		req.SetRequestURI(path)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		var fc fasthttp.RequestCtx
		fc.Init(&req, nil, nil)
		s.Handler()(&fc)
		return &fc
	}
	a, err := New(Config{}, newMemBackend())
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Config{}, newMemBackend())
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		get(a, "/healthz")
	}
	get(b, "/healthz")
	for _, tc := range []struct {
		s    *Server
		want float64
	}{{a, 3}, {b, 1}} {
		fc := get(tc.s, "/metrics")
		if fc.Response.StatusCode() != 200 {
			t.Fatalf("metrics: %d %s", fc.Response.StatusCode(), fc.Response.Body())
		}
		mfs := parseMetrics(t, fc.Response.Body())
		labels := map[string]string{"route": "/healthz", "method": "GET", "status": "200"}
		if got, ok := metricValue(mfs, "pitrix_http_requests_total", labels); !ok || got != tc.want {
			t.Errorf("healthz count = %v (present %v), want %v", got, ok, tc.want)
		}
	}
}

// TestMetricsNegotiatesProtobuf checks that a scraper asking for the protobuf format gets it.
func TestMetricsNegotiatesProtobuf(t *testing.T) {
	s, err := New(Config{}, newMemBackend())
	if err != nil {
		t.Fatal(err)
	}
	var req fasthttp.Request
	req.SetRequestURI("/metrics")
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Accept", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited")
	var fc fasthttp.RequestCtx
	fc.Init(&req, nil, nil)
	s.Handler()(&fc)
	ct := string(fc.Response.Header.ContentType())
	if fc.Response.StatusCode() != 200 || !bytes.HasPrefix([]byte(ct), []byte("application/vnd.google.protobuf")) {
		t.Fatalf("metrics: %d %q", fc.Response.StatusCode(), ct)
	}
	dec := expfmt.NewDecoder(bytes.NewReader(fc.Response.Body()), expfmt.Format(ct))
	n := 0
	for {
		var mf dto.MetricFamily
		if err := dec.Decode(&mf); err != nil {
			break
		}
		n++
	}
	if n == 0 {
		t.Fatalf("no metric families decoded from %d bytes", len(fc.Response.Body()))
	}
}
