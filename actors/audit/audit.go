package audit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/idgen"
	"github.com/pitrix/pitrix/actors/store"
)

// prefix is the store key prefix of audit entries.
const prefix = "audit/"

// MaxBatch is the most entries one Append writes (one store Apply).
const MaxBatch = 256

// Entry is one recorded mutation.
type Entry struct {
	ID           string    `json:"id"`
	Time         time.Time `json:"time"`
	UserID       string    `json:"user_id"`
	Role         string    `json:"role"`
	TokenID      string    `json:"token_id,omitempty"`
	Action       string    `json:"action"`        // method and route pattern: "DELETE /v1/repos/{id}"
	ResourceKind string    `json:"resource_kind"` // the collection: "repos", "users", "tokens"
	ResourceID   string    `json:"resource_id,omitempty"`
	RemoteAddr   string    `json:"remote_addr"`
	Status       int       `json:"status"`
	Result       string    `json:"result"` // status class: 2xx, 4xx, 5xx
	RequestID    string    `json:"request_id,omitempty"`
}

// ResultOf is the status class of an HTTP status: "2xx", "4xx" and so on.
func ResultOf(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}

// Query selects entries for List. Empty fields do not filter; Since is inclusive, Until
// exclusive.
type Query struct {
	UserID     string
	Action     string
	ResourceID string
	Result     string // a status class ("4xx") or an exact status ("403")
	Since      time.Time
	Until      time.Time
	Limit      int // <= 0: all
	Offset     int
}

// Log is the audit log over a store. It is safe for concurrent use.
type Log struct {
	st  store.Store
	ids *idgen.Generator
}

// New returns a Log over st, making entry ids with ids.
func New(st store.Store, ids *idgen.Generator) *Log {
	return &Log{st: st, ids: ids}
}

// Append stores entries with one Apply (at most MaxBatch of them), giving each its id. The
// caller owns the slice; Append sets the ID fields.
func (l *Log) Append(ctx context.Context, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	if len(entries) > MaxBatch {
		return fmt.Errorf("audit: append %d entries: over the batch limit of %d", len(entries), MaxBatch)
	}
	ops := make([]store.Op, 0, len(entries))
	for i := range entries {
		e := &entries[i]
		e.ID = l.ids.Next("aud")
		if e.Result == "" {
			e.Result = ResultOf(e.Status)
		}
		op, err := entity.Put(prefix+e.ID, e, store.Absent, e.terms()...)
		if err != nil {
			return fmt.Errorf("audit: encode entry %s: %w", e.ID, err)
		}
		ops = append(ops, op)
	}
	if _, err := l.st.Apply(ctx, ops...); err != nil {
		return fmt.Errorf("audit: append %d entries: %w", len(entries), err)
	}
	return nil
}

// List returns one page of the entries q selects, newest first, and the count of all matches.
func (l *Log) List(ctx context.Context, q Query) ([]Entry, int, error) {
	term := ""
	switch {
	case q.ResourceID != "":
		term = "resource=" + q.ResourceID
	case q.UserID != "":
		term = "user=" + q.UserID
	case q.Action != "":
		term = "action=" + q.Action
	case len(q.Result) == 3 && q.Result[1:] == "xx":
		term = "result=" + q.Result
	}
	if len(term) > store.MaxTermLen {
		return []Entry{}, 0, nil
	}
	items, total, err := entity.List(ctx, l.st, entity.Query[Entry]{
		Prefix: prefix, Term: term, Limit: q.Limit, Offset: q.Offset, Keep: q.Match,
	})
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, 0, err
		}
		return nil, 0, fmt.Errorf("audit: list: %w", err)
	}
	return items, total, nil
}

// Match reports whether e is one of the entries q selects (paging aside).
func (q Query) Match(e Entry) bool {
	switch {
	case q.UserID != "" && e.UserID != q.UserID,
		q.Action != "" && e.Action != q.Action,
		q.ResourceID != "" && e.ResourceID != q.ResourceID,
		q.Result != "" && e.Result != q.Result && strconv.Itoa(e.Status) != q.Result,
		!q.Since.IsZero() && e.Time.Before(q.Since),
		!q.Until.IsZero() && !e.Time.Before(q.Until):
		return false
	}
	return true
}

func (e *Entry) terms() []string {
	t := []string{"user=" + e.UserID, "action=" + e.Action, "result=" + e.Result}
	if e.ResourceID != "" {
		t = append(t, "resource="+e.ResourceID)
	}
	out := t[:0]
	for _, s := range t {
		if len(s) <= store.MaxTermLen {
			out = append(out, s)
		}
	}
	return out
}
