package rest

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/pitrix/pitrix/actors/appcluster"
)

// GET /v1/events is a server-sent-events stream (text/event-stream). Each event is
//
//	id: <seq>
//	event: <type>
//	data: <the appcluster.Event as one line of JSON>
//
// followed by a blank line, flushed at once. A ": ping" comment is sent every
// Config.EventPingInterval while nothing else is.
//
// fasthttp runs a body stream writer on a goroutine of its own that writes into a pipe the
// connection's goroutine copies to the socket, chunk by chunk. The handler returns before the
// stream starts, so the stream has its own context (not the request's, which RequestTimeout
// bounds) and is counted in s.active so Serve waits for it. The stream ends when the client goes
// away (the next write fails), when the backend closes the channel, or when Serve's context ends
// (s.streams is canceled before fasthttp's shutdown begins, so shutdown does not wait on it).

// eventStreamOpen is written as soon as the stream starts, so the client gets the headers at once.
const eventStreamOpen = ": connected\n\n"

func (s *Server) events(r *request) error {
	params, err := parseParams(r.fc.QueryArgs(), "cluster_id")
	if err != nil {
		return err
	}
	clusterID := params["cluster_id"]

	ctx, cancel := context.WithCancel(s.streams)
	ch, err := s.be.Subscribe(ctx, r.principal)
	if err != nil {
		cancel()
		return err
	}
	// The connection outlives the stream (its goroutine is the one copying the stream out), so
	// keeping it past the handler is safe; the RequestCtx itself is not kept.
	conn := r.fc.Conn()
	r.fc.SetStatusCode(200)
	r.fc.SetContentType("text/event-stream")
	r.fc.Response.Header.Set("X-Accel-Buffering", "no") // tell proxies not to buffer
	s.active.add()
	r.fc.SetBodyStreamWriter(func(w *bufio.Writer) {
		defer s.active.done()
		defer cancel()
		s.streamEvents(ctx, w, conn, ch, clusterID)
	})
	return nil
}

// streamEvents writes ch to w until ctx ends, ch is closed or a write fails.
func (s *Server) streamEvents(ctx context.Context, w *bufio.Writer, conn net.Conn, ch <-chan appcluster.Event, clusterID string) {
	if conn != nil {
		// fasthttp sets one write deadline per response; a stream lives longer, so each write
		// below moves it on. Once the shutdown grace period is over a client that stopped
		// reading must not hold Serve up: an expired deadline fails the copy, which closes the
		// pipe and frees a write blocked on it.
		stop := context.AfterFunc(s.base, func() { _ = conn.SetWriteDeadline(time.Unix(1, 0)) })
		defer stop()
	}
	send := func(b []byte) bool {
		if conn != nil {
			_ = conn.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
		}
		if _, err := w.Write(b); err != nil {
			return false
		}
		return w.Flush() == nil
	}
	if !send([]byte(eventStreamOpen)) {
		return
	}
	ping := time.NewTicker(s.cfg.EventPingInterval)
	defer ping.Stop()
	var buf []byte
	for {
		select {
		case <-ctx.Done():
			return
		case <-ping.C:
			if !send([]byte(": ping\n\n")) {
				return
			}
		case ev, ok := <-ch:
			if !ok {
				return
			}
			if clusterID != "" && ev.ClusterID != clusterID {
				continue
			}
			var err error
			if buf, err = appendEvent(buf[:0], ev); err != nil {
				s.log.Warn("event not encodable; skipped", "seq", ev.Seq, "type", ev.Type, "err", err)
				continue
			}
			if !send(buf) {
				return
			}
			ping.Reset(s.cfg.EventPingInterval)
		}
	}
}

// appendEvent appends the SSE frame of ev to b. encoding/json output holds no raw line breaks,
// so the data is one line; the type is kept to one line as well.
func appendEvent(b []byte, ev appcluster.Event) ([]byte, error) {
	data, err := json.Marshal(ev)
	if err != nil {
		return b, err
	}
	typ := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, ev.Type)
	if typ == "" {
		typ = "message"
	}
	b = append(b, "id: "...)
	b = strconv.AppendUint(b, ev.Seq, 10)
	b = append(b, "\nevent: "...)
	b = append(b, typ...)
	b = append(b, "\ndata: "...)
	b = append(b, data...)
	return append(b, "\n\n"...), nil
}
