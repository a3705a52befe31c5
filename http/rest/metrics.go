package rest

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"
)

// statusSlots are the statuses the front counts one by one; anything else is counted as
// "other". The list covers every status the front or the error table produces.
var statusSlots = [...]int{200, 201, 202, 204, 400, 401, 403, 404, 405, 408, 409, 413, 429, 431, 500, 503}

const otherStatus = len(statusSlots)

// latencyBuckets are the upper bounds of the request latency histogram.
var latencyBuckets = [...]time.Duration{
	time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond, 25 * time.Millisecond,
	50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second,
}

// routeStats are the counters of one route (pattern and method). They are plain atomics so the
// request path takes no lock.
type routeStats struct {
	byStatus [len(statusSlots) + 1]atomic.Uint64
	buckets  [len(latencyBuckets)]atomic.Uint64 // not cumulative; summed when written
	count    atomic.Uint64
	sumNanos atomic.Uint64
}

func newRouteStats() *routeStats { return &routeStats{} }

func (rs *routeStats) observe(status int, d time.Duration) {
	slot := otherStatus
	for i, s := range statusSlots {
		if s == status {
			slot = i
			break
		}
	}
	rs.byStatus[slot].Add(1)
	for i, b := range latencyBuckets {
		if d <= b {
			rs.buckets[i].Add(1)
			break
		}
	}
	rs.count.Add(1)
	rs.sumNanos.Add(uint64(max(d, 0)))
}

// metrics are the front's own counters: one routeStats per route plus the requests no route
// matched, and the requests in flight.
type metrics struct {
	routes    []*route
	unmatched *route
	inFlight  atomic.Int64
	// refused counts connections closed at accept for being over MaxConns or MaxConnsPerIP.
	refused refusedConns
}

// writeTo writes the front's metrics in the Prometheus text format.
func (m *metrics) writeTo(w io.Writer) error {
	bw := bufio.NewWriter(w)
	all := append(m.routes[:len(m.routes):len(m.routes)], m.unmatched)

	fmt.Fprintln(bw, "# HELP pitrix_http_requests_total HTTP requests answered by the REST front, by route pattern, method and status.")
	fmt.Fprintln(bw, "# TYPE pitrix_http_requests_total counter")
	for _, r := range all {
		for i := range r.stats.byStatus {
			n := r.stats.byStatus[i].Load()
			if n == 0 {
				continue
			}
			status := "other"
			if i < len(statusSlots) {
				status = fmt.Sprint(statusSlots[i])
			}
			fmt.Fprintf(bw, "pitrix_http_requests_total{route=%q,method=%q,status=%q} %d\n",
				labelValue(r.pattern), labelValue(r.method), status, n)
		}
	}

	fmt.Fprintln(bw, "# HELP pitrix_http_request_duration_seconds Time from routing a request to its response, by route pattern and method.")
	fmt.Fprintln(bw, "# TYPE pitrix_http_request_duration_seconds histogram")
	for _, r := range all {
		count := r.stats.count.Load()
		if count == 0 {
			continue
		}
		route, method := labelValue(r.pattern), labelValue(r.method)
		var cum uint64
		for i, b := range latencyBuckets {
			cum += r.stats.buckets[i].Load()
			fmt.Fprintf(bw, "pitrix_http_request_duration_seconds_bucket{route=%q,method=%q,le=%q} %d\n",
				route, method, fmt.Sprint(b.Seconds()), cum)
		}
		fmt.Fprintf(bw, "pitrix_http_request_duration_seconds_bucket{route=%q,method=%q,le=\"+Inf\"} %d\n", route, method, count)
		fmt.Fprintf(bw, "pitrix_http_request_duration_seconds_sum{route=%q,method=%q} %g\n",
			route, method, time.Duration(r.stats.sumNanos.Load()).Seconds())
		fmt.Fprintf(bw, "pitrix_http_request_duration_seconds_count{route=%q,method=%q} %d\n", route, method, count)
	}

	fmt.Fprintln(bw, "# HELP pitrix_http_requests_in_flight Requests being handled now.")
	fmt.Fprintln(bw, "# TYPE pitrix_http_requests_in_flight gauge")
	fmt.Fprintf(bw, "pitrix_http_requests_in_flight %d\n", m.inFlight.Load())

	fmt.Fprintln(bw, "# HELP pitrix_http_connections_refused_total Connections answered and closed at accept: over the per-address (429) or total (503) limit.")
	fmt.Fprintln(bw, "# TYPE pitrix_http_connections_refused_total counter")
	fmt.Fprintf(bw, "pitrix_http_connections_refused_total{reason=\"per_ip\"} %d\n", m.refused.perIP.Load())
	fmt.Fprintf(bw, "pitrix_http_connections_refused_total{reason=\"total\"} %d\n", m.refused.total.Load())
	return bw.Flush()
}

// labelValue escapes v for a Prometheus label written with %q: %q already escapes quotes,
// backslashes and newlines the way the text format wants for the printable ASCII our route
// patterns and methods use; anything else is replaced.
func labelValue(v string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '_'
		}
		return r
	}, v)
}
