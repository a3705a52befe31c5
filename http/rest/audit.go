package rest

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/pitrix/pitrix/actors/audit"
	"github.com/pitrix/pitrix/actors/fault"
)

// maxAuditExport is the most entries one JSON-lines answer of GET /v1/audit holds (its default
// limit); page through older ones with offset or until.
const maxAuditExport = 10000

// listAudit answers GET /v1/audit: a page of entries as JSON, or with format=jsonl (or Accept:
// application/x-ndjson) the entries as JSON lines, one object a line, newest first.
func (s *Server) listAudit(r *request) error {
	params, err := parseParams(r.fc.QueryArgs(), "user", "actor", "action", "resource", "result", "since", "until", "limit", "offset", "format")
	if err != nil {
		return err
	}
	jsonl := strings.Contains(string(r.fc.Request.Header.Peek("Accept")), "application/x-ndjson")
	bad := queryProblems{}
	switch params["format"] {
	case "", "json":
	case "jsonl":
		jsonl = true
	default:
		bad["format"] = "must be json or jsonl"
	}
	q := audit.Query{UserID: params["user"], Action: params["action"], ResourceID: params["resource"], Result: params["result"],
		Limit: defaultLimit}
	maxN := maxLimit
	if jsonl {
		q.Limit, maxN = maxAuditExport, maxAuditExport
	}
	if v, ok := params["limit"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxN {
			bad["limit"] = "must be an integer from 1 to " + strconv.Itoa(maxN)
		}
		q.Limit = n
	}
	if v, ok := params["offset"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxOffset {
			bad["offset"] = "must be an integer from 0 to " + strconv.Itoa(maxOffset)
		}
		q.Offset = n
	}
	for _, k := range []string{"since", "until"} {
		v, ok := params[k]
		if !ok || v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			bad[k] = "must be an RFC 3339 time such as 2026-12-03T15:04:05Z"
			continue
		}
		if k == "since" {
			q.Since = t
		} else {
			q.Until = t
		}
	}
	if v := q.Result; v != "" && !validResult(v) {
		bad["result"] = "must be a status class such as 4xx or a status such as 403"
	}
	if a := params["actor"]; a != "" {
		if q.UserID != "" && q.UserID != a {
			bad["actor"] = "an alias of user: give one of them"
		}
		q.UserID = a
	}
	if err := bad.err(); err != nil {
		return err
	}
	p, err := s.be.ListAudit(r.ctx, r.principal, q)
	if err != nil {
		return err
	}
	if !jsonl {
		writeOK(r.fc, page(p))
		return nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, e := range p.Items {
		if err := enc.Encode(e); err != nil {
			return fault.Internal(err, "encode audit entry %s", e.ID)
		}
	}
	r.fc.SetStatusCode(200)
	r.fc.SetContentType("application/x-ndjson")
	r.fc.Response.Header.Set("X-Total-Count", strconv.Itoa(p.TotalCount))
	r.fc.SetBody(buf.Bytes())
	return nil
}

func validResult(v string) bool {
	if len(v) != 3 || v[0] < '1' || v[0] > '5' {
		return false
	}
	if v[1:] == "xx" {
		return true
	}
	_, err := strconv.Atoi(v)
	return err == nil
}
