package rest

import (
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"
)

// statusSlots are the statuses the front counts one by one; anything else is counted as
// "other", so a client cannot grow the label set. The list covers every status the front or the
// error table produces.
var statusSlots = [...]int{200, 201, 202, 204, 400, 401, 403, 404, 405, 408, 409, 413, 429, 431, 500, 503}

// statusLabels holds the label value of each slot in statusSlots, built once.
var statusLabels = func() (ls [len(statusSlots)]string) {
	for i, s := range statusSlots {
		ls[i] = strconv.Itoa(s)
	}
	return ls
}()

func statusLabel(status int) string {
	for i, s := range statusSlots {
		if s == status {
			return statusLabels[i]
		}
	}
	return "other"
}

// latencyBuckets are the upper bounds, in seconds, of the request latency histogram:
// prometheus.DefBuckets with a 1ms bucket in front, since most API calls answer from memory.
var latencyBuckets = []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// unmatchedRoute is the route label of requests no route matched (and of unreadable requests).
const unmatchedRoute = "unmatched"

// metrics are the front's own request metrics and the registry /metrics serves. Each Server has
// its own registry, so several servers in one process (tests, benchmarks) never share counters.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	// inFlight is read by the in-flight gauge and by Serve's shutdown log.
	inFlight atomic.Int64
	// refused counts connections closed at accept for being over MaxConns or MaxConnsPerIP.
	refused refusedConns
}

// newMetrics builds the registry of one Server: the request metrics, the Go runtime and process
// collectors, and backend, the control plane's own collector.
func newMetrics(backend prometheus.Collector, more ...prometheus.Collector) (*metrics, error) {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pitrix_http_requests_total",
			Help: "HTTP requests answered by the REST front, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pitrix_http_request_duration_seconds",
			Help:    "Time from routing a request to its response, by route pattern and method.",
			Buckets: latencyBuckets,
		}, []string{"route", "method"}),
	}
	inFlight := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "pitrix_http_requests_in_flight",
		Help: "Requests being handled now.",
	}, func() float64 { return float64(m.inFlight.Load()) })
	for _, c := range []prometheus.Collector{
		m.requests, m.duration, inFlight,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := m.reg.Register(c); err != nil {
			return nil, fmt.Errorf("rest: register front metrics: %w", err)
		}
	}
	if backend != nil {
		if err := m.reg.Register(backend); err != nil {
			return nil, fmt.Errorf("rest: register backend metrics: %w", err)
		}
	}
	for _, c := range more {
		if err := m.reg.Register(c); err != nil {
			return nil, fmt.Errorf("rest: register metrics: %w", err)
		}
	}
	refused := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name:        "pitrix_http_connections_refused_total",
		Help:        "Connections answered and closed at accept: over the per-address (429) or total (503) limit.",
		ConstLabels: prometheus.Labels{"reason": "per_ip"},
	}, func() float64 { return float64(m.refused.perIP.Load()) })
	refusedTotal := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name:        "pitrix_http_connections_refused_total",
		Help:        "Connections answered and closed at accept: over the per-address (429) or total (503) limit.",
		ConstLabels: prometheus.Labels{"reason": "total"},
	}, func() float64 { return float64(m.refused.total.Load()) })
	for _, c := range []prometheus.Collector{refused, refusedTotal} {
		if err := m.reg.Register(c); err != nil {
			return nil, fmt.Errorf("rest: register front metrics: %w", err)
		}
	}
	return m, nil
}

// observe counts one answered request of route (a pattern, or unmatchedRoute) and method.
func (m *metrics) observe(route, method string, status int, seconds float64) {
	m.requests.WithLabelValues(route, method, statusLabel(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(max(seconds, 0))
}

// writeMetrics gathers every metric and writes it to r in the format the Accept header asks for (the
// Prometheus text format by default). A collector that fails is logged and left out; the rest
// is still served.
func (s *Server) writeMetrics(r *request) error {
	mfs, err := s.m.reg.Gather()
	if err != nil {
		if len(mfs) == 0 {
			return fmt.Errorf("rest: gather metrics: %w", err)
		}
		s.log.Warn("some metrics could not be gathered", "request_id", r.id, "err", err)
	}
	h := http.Header{}
	if accept := r.fc.Request.Header.Peek("Accept"); len(accept) > 0 {
		h.Set("Accept", string(accept))
	}
	format := expfmt.Negotiate(h)
	r.fc.SetStatusCode(http.StatusOK)
	r.fc.SetContentType(string(format))
	enc := expfmt.NewEncoder(r.fc, format)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return fmt.Errorf("rest: encode metric %s: %w", mf.GetName(), err)
		}
	}
	if c, ok := enc.(expfmt.Closer); ok {
		if err := c.Close(); err != nil {
			return fmt.Errorf("rest: close metrics encoder: %w", err)
		}
	}
	return nil
}
