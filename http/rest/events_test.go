package rest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pitrix/pitrix/actors/appcluster"
	"github.com/pitrix/pitrix/actors/fault"
)

// waitFor is how long a test waits for a condition before failing with what it saw.
const waitFor = 10 * time.Second

// sseFrame is one block of an event stream: its field lines, or a comment.
type sseFrame struct {
	comment string
	fields  []string // "id: 1", "event: job", "data: {...}" in order
}

// eventStream is an open GET /v1/events over net/http.
type eventStream struct {
	t    *testing.T
	resp *http.Response
	rd   *bufio.Reader
}

func openEvents(t *testing.T, e *testEnv, query string) *eventStream {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", e.base+"/v1/events"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatalf("GET /v1/events: %v", err)
	}
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("GET /v1/events: %d %s", resp.StatusCode, b)
	}
	s := &eventStream{t: t, resp: resp, rd: bufio.NewReader(resp.Body)}
	t.Cleanup(func() { resp.Body.Close() })
	select {
	case <-e.be.subscribed:
	case <-time.After(waitFor):
		t.Fatal("backend saw no Subscribe")
	}
	return s
}

// next reads one frame: the lines up to a blank line.
func (s *eventStream) next() (sseFrame, error) {
	var f sseFrame
	for {
		line, err := s.rd.ReadString('\n')
		if err != nil {
			return f, err
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			if f.comment == "" && f.fields == nil {
				continue
			}
			return f, nil
		}
		if c, ok := strings.CutPrefix(line, ":"); ok {
			f.comment = strings.TrimSpace(c)
			continue
		}
		f.fields = append(f.fields, line)
	}
}

// nextEvent reads frames until one that is not a comment.
func (s *eventStream) nextEvent() sseFrame {
	s.t.Helper()
	for {
		f, err := s.next()
		if err != nil {
			s.t.Fatalf("read event: %v", err)
		}
		if f.fields != nil {
			return f
		}
	}
}

func TestEventsStream(t *testing.T) {
	e := startServer(t, Config{EventPingInterval: 20 * time.Millisecond})
	s := openEvents(t, e, "")
	if ct := s.resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := s.resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}

	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	sent := []appcluster.Event{
		{Seq: 7, Type: "cluster", ClusterID: "cl-1", Data: json.RawMessage(`{"id":"cl-1","status":"pending"}`), At: at},
		{Seq: 8, Type: "job", ClusterID: "cl-1", Data: json.RawMessage(`{"id":"j-1",` + "\n" + `"status":"working"}`), At: at},
		{Seq: 9, Type: "task", ClusterID: "cl-1", Data: json.RawMessage(`{"id":"t-1","output":"line1\nline2"}`), At: at},
	}
	for _, ev := range sent {
		e.be.publish(ev)
	}
	for _, want := range sent {
		f := s.nextEvent()
		if len(f.fields) != 3 {
			t.Fatalf("frame %q: want id, event, data", f.fields)
		}
		if f.fields[0] != "id: "+strconv.FormatUint(want.Seq, 10) || f.fields[1] != "event: "+want.Type {
			t.Errorf("frame %q", f.fields)
		}
		data, ok := strings.CutPrefix(f.fields[2], "data: ")
		if !ok {
			t.Fatalf("third line %q", f.fields[2])
		}
		var got appcluster.Event
		if err := json.Unmarshal([]byte(data), &got); err != nil {
			t.Fatalf("data %q: %v", data, err)
		}
		var wantData bytes.Buffer
		_ = json.Compact(&wantData, want.Data)
		if got.Seq != want.Seq || got.Type != want.Type || got.ClusterID != want.ClusterID ||
			!got.At.Equal(want.At) || string(got.Data) != wantData.String() {
			t.Errorf("event %+v, want %+v", got, want)
		}
	}

	// The client goes away: the next ping fails and the backend sees its context end.
	s.resp.Body.Close()
	e.client.CloseIdleConnections()
	select {
	case <-e.be.unsubscribed:
	case <-time.After(waitFor):
		t.Fatalf("subscription still open after the client left (%d subscribers)", e.be.subscribers())
	}
	if n := e.be.subscribers(); n != 0 {
		t.Errorf("%d subscribers left", n)
	}
}

func TestEventsFilterAndPing(t *testing.T) {
	// The request deadline is far shorter than the stream: the stream must outlive it.
	e := startServer(t, Config{EventPingInterval: 10 * time.Millisecond, RequestTimeout: 30 * time.Millisecond})
	s := openEvents(t, e, "?cluster_id=cl-b")
	start := time.Now()
	pings := 0
	for time.Since(start) < 100*time.Millisecond { // pings only, well past RequestTimeout
		f, err := s.next()
		if err != nil {
			t.Fatalf("stream ended after %d pings: %v", pings, err)
		}
		if f.fields != nil {
			t.Fatalf("unexpected event %q", f.fields)
		}
		if f.comment == "ping" {
			pings++
		}
	}
	if pings < 2 {
		t.Errorf("%d pings in %v", pings, time.Since(start))
	}
	e.be.publish(appcluster.Event{Type: "job", ClusterID: "cl-a", Data: json.RawMessage(`{}`)})
	e.be.publish(appcluster.Event{Type: "job", ClusterID: "cl-b", Data: json.RawMessage(`{"n":2}`)})
	f := s.nextEvent()
	if !strings.Contains(f.fields[2], `"cluster_id":"cl-b"`) {
		t.Errorf("filtered stream delivered %q", f.fields)
	}
}

func TestEventsFromMutations(t *testing.T) {
	e := startServer(t, Config{})
	s := openEvents(t, e, "")
	acc := createCluster(t, e, `{"name":"zk","version_id":"appv-1","runtime_id":"rt-1"}`)
	var types []string
	var lastSeq uint64
	for range 2 {
		f := s.nextEvent()
		types = append(types, strings.TrimPrefix(f.fields[1], "event: "))
		seq, err := strconv.ParseUint(strings.TrimPrefix(f.fields[0], "id: "), 10, 64)
		if err != nil || seq <= lastSeq {
			t.Errorf("id line %q after %d", f.fields[0], lastSeq)
		}
		lastSeq = seq
		if !strings.Contains(f.fields[2], `"cluster_id":"`+acc.ClusterID+`"`) {
			t.Errorf("data %q", f.fields[2])
		}
	}
	if strings.Join(types, ",") != "cluster,job" {
		t.Errorf("event types %v", types)
	}
}

func TestEventsEnd(t *testing.T) {
	t.Run("backend closes the channel", func(t *testing.T) {
		e := startServer(t, Config{})
		s := openEvents(t, e, "")
		e.be.memClusters.mu.Lock()
		for sub := range e.be.memClusters.subs {
			delete(e.be.memClusters.subs, sub)
			close(sub.ch)
		}
		e.be.memClusters.mu.Unlock()
		rest, err := io.ReadAll(s.rd)
		if err != nil {
			t.Fatalf("stream did not end cleanly: %v", err)
		}
		if strings.Contains(string(rest), "data:") {
			t.Errorf("unexpected data after close: %q", rest)
		}
		select {
		case <-e.be.unsubscribed: // the stream's context ended too
		case <-time.After(waitFor):
			t.Fatal("stream context not canceled after the channel closed")
		}
	})
	t.Run("server shutdown", func(t *testing.T) {
		// A long grace period: Serve must not need it, since streams stop when shutdown starts.
		e := startServer(t, Config{ShutdownTimeout: time.Minute})
		s := openEvents(t, e, "")
		start := time.Now()
		e.cancel()
		select {
		case err := <-e.done:
			if err != nil {
				t.Fatalf("Serve: %v", err)
			}
		case <-time.After(waitFor):
			t.Fatal("Serve did not return with an event stream open")
		}
		e.done <- nil // for the cleanup
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("shutdown took %v", d)
		}
		if _, err := io.ReadAll(s.rd); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("stream read after shutdown: %v", err)
		}
		select {
		case <-e.be.unsubscribed:
		case <-time.After(waitFor):
			t.Fatal("subscription not ended by shutdown")
		}
	})
}

func TestEventsErrors(t *testing.T) {
	e := startServer(t, Config{})
	wantError(t, e.call("GET", "/v1/events?status=x", ""), 400, fault.CodeInvalid, "status")
	wantError(t, e.call("GET", "/v1/events?cluster_id=a&cluster_id=b", ""), 400, fault.CodeInvalid, "cluster_id")
	e.be.memClusters.failNext("Subscribe", fault.Forbidden("no events for you"))
	wantError(t, e.call("GET", "/v1/events", ""), 403, fault.CodePermission)
	wantError(t, e.request("GET", "/v1/events", "", "", nil), 401, fault.CodeUnauthenticated)
	if n := e.be.subscribers(); n != 0 {
		t.Errorf("%d subscribers after failed requests", n)
	}
}

// FuzzAppendEvent checks the framing of any event: exactly an id, an event and a data line and a
// blank line, the data decoding back to the event.
func FuzzAppendEvent(f *testing.F) {
	f.Add(uint64(1), "job", "cl-1", []byte(`{"a":1}`))
	f.Add(uint64(0), "", "", []byte(``))
	f.Add(uint64(1<<63), "bad\ntype\r", "cl\n2", []byte("{\"s\":\"x\\ny\"}\n"))
	f.Add(uint64(5), "task", "c", []byte(`not json`))
	f.Fuzz(func(t *testing.T, seq uint64, typ, clusterID string, data []byte) {
		ev := appcluster.Event{Seq: seq, Type: typ, ClusterID: clusterID, Data: data}
		b, err := appendEvent(nil, ev)
		if err != nil {
			if json.Valid(data) {
				t.Fatalf("valid data refused: %v", err)
			}
			return
		}
		text := string(b)
		if !strings.HasSuffix(text, "\n\n") {
			t.Fatalf("frame %q does not end with a blank line", text)
		}
		lines := strings.Split(strings.TrimSuffix(text, "\n\n"), "\n")
		if len(lines) != 3 || strings.Contains(text, "\r") {
			t.Fatalf("frame %q: want 3 lines", text)
		}
		if lines[0] != "id: "+strconv.FormatUint(seq, 10) || !strings.HasPrefix(lines[1], "event: ") {
			t.Fatalf("frame %q", text)
		}
		var back appcluster.Event
		if err := json.Unmarshal([]byte(strings.TrimPrefix(lines[2], "data: ")), &back); err != nil {
			t.Fatalf("data line %q: %v", lines[2], err)
		}
		if back.Seq != seq || utf8.ValidString(clusterID) && back.ClusterID != clusterID {
			t.Fatalf("round trip %+v", back)
		}
	})
}
