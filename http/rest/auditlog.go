package rest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitrix/pitrix/actors/audit"
)

// auditWriter records mutations off the request path. Handlers hand entries to add, which never
// blocks; one goroutine (run, started by Serve) takes the first waiting entry plus everything
// queued behind it, up to audit.MaxBatch, and stores the group with one AuditLog.RecordAudit
// call (one store Apply). A quiet server writes each entry at once; a busy one writes one batch
// per store round trip instead of one per request.
//
// Trade-off: an entry is queued when its response is written and stored a store round trip
// later, so a crash loses the entries not yet flushed (at most the buffer). Shutdown through
// Serve flushes everything queued. A failed write is logged with the entries' actions and
// request ids (never more) and the requests are not failed.
type auditWriter struct {
	log     *slog.Logger
	be      AuditLog
	ch      chan audit.Entry
	dropped atomic.Uint64 // entries refused by a full buffer
	lost    atomic.Uint64 // entries whose write failed
}

func newAuditWriter(log *slog.Logger, be AuditLog, size int) *auditWriter {
	return &auditWriter{log: log, be: be, ch: make(chan audit.Entry, size)}
}

// add queues e; when the buffer is full e is dropped and counted.
func (w *auditWriter) add(e audit.Entry) {
	select {
	case w.ch <- e:
	default:
		if n := w.dropped.Add(1); n == 1 || n%1000 == 0 {
			w.log.Warn("audit buffer full: entries dropped", "dropped_total", n, "action", e.Action)
		}
	}
}

// run flushes queued entries until stop is closed, then flushes what is left with ctx (the
// shutdown budget) and returns.
func (w *auditWriter) run(ctx context.Context, stop <-chan struct{}) {
	batch := make([]audit.Entry, 0, audit.MaxBatch)
	for {
		select {
		case e := <-w.ch:
			batch = w.flush(ctx, w.fill(append(batch[:0], e)))
		case <-stop:
			for len(w.ch) > 0 {
				batch = w.flush(ctx, w.fill(batch[:0]))
			}
			return
		}
	}
}

// fill appends what is queued now, up to audit.MaxBatch, without waiting.
func (w *auditWriter) fill(batch []audit.Entry) []audit.Entry {
	for len(batch) < audit.MaxBatch {
		select {
		case e := <-w.ch:
			batch = append(batch, e)
		default:
			return batch
		}
	}
	return batch
}

func (w *auditWriter) flush(ctx context.Context, batch []audit.Entry) []audit.Entry {
	if len(batch) == 0 {
		return batch
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err := w.be.RecordAudit(wctx, batch)
	cancel()
	if err != nil {
		w.lost.Add(uint64(len(batch)))
		ids := make([]string, 0, len(batch))
		for _, e := range batch {
			ids = append(ids, e.RequestID)
		}
		w.log.Error("audit entries not stored", "count", len(batch), "request_ids", ids, "err", err)
	}
	return batch[:0]
}

// isMutation reports whether a route changes state: every method but GET (and HEAD).
func isMutation(rt *route) bool { return rt != nil && rt.method != "GET" }

// audit queues the audit entry of a served mutation. Requests no token admitted are not recorded
// (they changed nothing and would let anyone fill the log); forbidden and failed ones are.
func (s *Server) audit(r *request, start time.Time) {
	if !isMutation(r.route) || r.principal.UserID == "" {
		return
	}
	status := r.fc.Response.StatusCode()
	e := audit.Entry{
		Time: start.UTC(), UserID: r.principal.UserID, Role: r.principal.Role, TokenID: r.principal.TokenID,
		Action: r.route.method + " " + r.route.pattern, ResourceKind: resourceKind(r.route.pattern), ResourceID: r.param("id"),
		RemoteAddr: r.fc.RemoteIP().String(), Status: status, Result: audit.ResultOf(status), RequestID: r.id,
	}
	if status == 201 || status == 202 {
		// A created object's id names the resource better than the path's (a token made under
		// /v1/users/{id}/tokens); an accepted job names its cluster only when the path has no id.
		id, cluster := createdID(r.fc.Response.Body())
		switch {
		case id != "":
			e.ResourceID = id
		case e.ResourceID == "":
			e.ResourceID = cluster
		}
	}
	s.auditW.add(e)
}

// createdID reads the "id" of an object created by a 201 or 202 answer, and the "cluster_id"
// of an accepted cluster job. Only these fields are decoded: a created token's secret in the
// same body is never copied.
func createdID(body []byte) (id, clusterID string) {
	if len(body) == 0 || len(body) > 1<<20 {
		return "", ""
	}
	var v struct {
		ID        string `json:"id"`
		ClusterID string `json:"cluster_id"`
	}
	if json.Unmarshal(body, &v) != nil {
		return "", ""
	}
	return v.ID, v.ClusterID
}

// resourceKind is the collection a route acts on: the segment after /v1 ("repos",
// "app_versions"), or for /v1/users/{id}/tokens the last static segment ("tokens").
func resourceKind(pattern string) string {
	segs := strings.Split(strings.TrimPrefix(pattern, "/v1/"), "/")
	kind := segs[0]
	if len(segs) >= 3 && !strings.HasPrefix(segs[2], "{") && len(segs[2]) > 0 && segs[0] == "users" {
		kind = segs[2]
	}
	return kind
}

// register adds the writer's loss counters to reg.
func (w *auditWriter) register(reg *prometheus.Registry) error {
	for reason, n := range map[string]*atomic.Uint64{"buffer_full": &w.dropped, "write_failed": &w.lost} {
		c := prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "pitrix_audit_entries_lost_total",
			Help:        "Audit entries not stored: dropped by a full buffer, or in a failed store write.",
			ConstLabels: prometheus.Labels{"reason": reason},
		}, func() float64 { return float64(n.Load()) })
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("rest: register audit metrics: %w", err)
		}
	}
	return nil
}
