package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func readAll(t *testing.T, r io.Reader) ([]Event, error) {
	t.Helper()
	er := NewEventReader(r)
	var out []Event
	for {
		ev, err := er.Next()
		if err != nil {
			return out, err
		}
		out = append(out, ev)
	}
}

// show renders events for comparison and messages.
func show(evs []Event) string {
	var b strings.Builder
	for _, ev := range evs {
		fmt.Fprintf(&b, "{id=%q type=%q data=%q retry=%d}", ev.ID, ev.Type, ev.Data, ev.Retry)
	}
	return b.String()
}

func TestEventReader(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Event
	}{
		{"pitrix framing", "id: 1\nevent: job\ndata: {\"seq\":1}\n\n", []Event{{ID: "1", Type: "job", Data: []byte(`{"seq":1}`)}}},
		{"CRLF", "id: 2\r\nevent: task\r\ndata: x\r\n\r\n", []Event{{ID: "2", Type: "task", Data: []byte("x")}}},
		{"CR", "event: a\rdata: y\r\r", []Event{{Type: "a", Data: []byte("y")}}},
		{"comments and pings skipped", ": connected\n\n: ping\n\ndata: z\n\n", []Event{{Type: "message", Data: []byte("z")}}},
		{"multi-line data", "data: a\ndata:b\ndata:  c\n\n", []Event{{Type: "message", Data: []byte("a\nb\n c")}}},
		{"id carries over", "id: 5\ndata: a\n\ndata: b\n\n", []Event{{ID: "5", Type: "message", Data: []byte("a")}, {ID: "5", Type: "message", Data: []byte("b")}}},
		{"event without data is dropped, type reset", "event: x\n\ndata: d\n\n", []Event{{Type: "message", Data: []byte("d")}}},
		{"field without colon", "data\n\n", []Event{{Type: "message", Data: []byte("")}}},
		{"unknown fields ignored", "foo: bar\ndata: d\n\n", []Event{{Type: "message", Data: []byte("d")}}},
		{"retry", "retry: 3000\ndata: d\n\nretry: 1x\ndata: e\n\n", []Event{{Type: "message", Data: []byte("d"), Retry: 3000}, {Type: "message", Data: []byte("e")}}},
		{"id with NUL ignored", "id: a\x00b\ndata: d\n\n", []Event{{Type: "message", Data: []byte("d")}}},
		{"BOM", "\xef\xbb\xbfdata: d\n\n", []Event{{Type: "message", Data: []byte("d")}}},
		{"cut-off event dropped", "data: a\n\ndata: b\n", []Event{{Type: "message", Data: []byte("a")}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAll(t, strings.NewReader(tc.in))
			if !errors.Is(err, io.EOF) {
				t.Fatalf("end: %v", err)
			}
			if show(got) != show(tc.want) {
				t.Errorf("got %s\nwant %s", show(got), show(tc.want))
			}
		})
	}
	t.Run("line too long", func(t *testing.T) {
		_, err := readAll(t, io.MultiReader(strings.NewReader("data: "), bytes.NewReader(bytes.Repeat([]byte("x"), maxEventLine+1))))
		if !errors.Is(err, ErrEventTooLarge) {
			t.Errorf("err %v", err)
		}
	})
	t.Run("data too large", func(t *testing.T) {
		line := "data: " + strings.Repeat("x", 1<<19) + "\n"
		_, err := readAll(t, strings.NewReader(strings.Repeat(line, 9)+"\n"))
		if !errors.Is(err, ErrEventTooLarge) {
			t.Errorf("err %v", err)
		}
	})
}

// sseServer streams the frames it is handed on /v1/events until the client leaves.
type sseServer struct {
	srv    *httptest.Server
	frames chan string
	done   chan struct{} // closed: end the stream
	query  chan url.Values
}

func newSSEServer(t *testing.T) *sseServer {
	s := &sseServer{frames: make(chan string), done: make(chan struct{}), query: make(chan url.Values, 4)}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Header.Get("Authorization") != "Bearer tok":
			writeJSON(w, 401, errBody("unauthenticated", "bad token", nil))
			return
		case r.URL.Path == "/v1/not-sse":
			writeJSON(w, 200, map[string]any{})
			return
		}
		s.query <- r.URL.Query()
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		io.WriteString(w, ": connected\n\n")
		w.(http.Flusher).Flush()
		for {
			select {
			case f := <-s.frames:
				io.WriteString(w, f)
				w.(http.Flusher).Flush()
			case <-s.done:
				return
			case <-r.Context().Done():
				return
			}
		}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func TestEventsStream(t *testing.T) {
	s := newSSEServer(t)
	c := newTestClient(t, Config{Server: s.srv.URL, Token: "tok", Timeout: 50 * time.Millisecond})

	t.Run("events in order, not bound by the call timeout", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		events, errc := c.Events(ctx, url.Values{"cluster_id": {"cl-1"}})
		if q := <-s.query; q.Get("cluster_id") != "cl-1" {
			t.Errorf("query %v", q)
		}
		for i := 1; i <= 3; i++ {
			if i == 3 {
				// Past the client's 50ms call timeout: streams have none.
				<-time.After(80 * time.Millisecond)
			}
			s.frames <- fmt.Sprintf("id: %d\nevent: job\ndata: {\"seq\":%d}\n\n", i, i)
			ev, ok := <-events
			if !ok {
				t.Fatalf("stream closed early: %v", <-errc)
			}
			if ev.ID != fmt.Sprint(i) || ev.Type != "job" || string(ev.Data) != fmt.Sprintf(`{"seq":%d}`, i) {
				t.Errorf("event %d = %+v", i, ev)
			}
		}
		cancel()
		for range events {
		}
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("after cancel: %v", err)
		}
	})
	t.Run("server ends the stream", func(t *testing.T) {
		events, errc := c.Events(t.Context(), nil)
		<-s.query
		close(s.done)
		for range events {
		}
		if err := <-errc; err != nil {
			t.Errorf("clean end: %v", err)
		}
	})
	t.Run("error answer", func(t *testing.T) {
		bad := newTestClient(t, Config{Server: s.srv.URL, Token: "nope"})
		events, errc := bad.Events(t.Context(), nil)
		if _, ok := <-events; ok {
			t.Error("event from a refused stream")
		}
		if err := <-errc; CodeOf(err) != "unauthenticated" {
			t.Errorf("err %v", err)
		}
	})
	t.Run("not an event stream", func(t *testing.T) {
		_, err := c.OpenEvents(t.Context(), "/v1/not-sse", nil)
		if err == nil || !strings.Contains(err.Error(), "not an event stream") {
			t.Errorf("err %v", err)
		}
	})
}

// FuzzEventReader parses arbitrary streams: no panic, no line break inside a type or id, no CR
// in data, and the same events whether the bytes come whole or one at a time.
func FuzzEventReader(f *testing.F) {
	for _, s := range []string{
		"id: 1\nevent: job\ndata: {}\n\n", "data: a\r\ndata: b\r\n\r\n", "data: a\r\rdata: b\r\n\n",
		": ping\n\n", "\xef\xbb\xbfdata\n\n", "event\nid\nretry: 10\ndata:\n\n", "data: x", "\r\n\r\n\n",
		"id: \x00\ndata: y\n\n", "retry: 99999999999999999999\ndata: z\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		whole, errWhole := readAll(t, bytes.NewReader(in))
		bytewise, errBytes := readAll(t, iotest.OneByteReader(bytes.NewReader(in)))
		if !errors.Is(errWhole, io.EOF) || !errors.Is(errBytes, io.EOF) {
			t.Fatalf("errors %v / %v", errWhole, errBytes)
		}
		if show(whole) != show(bytewise) {
			t.Fatalf("whole %s\nbytewise %s", show(whole), show(bytewise))
		}
		for _, ev := range whole {
			if strings.ContainsAny(ev.Type, "\r\n") || strings.ContainsAny(ev.ID, "\r\n\x00") || bytes.ContainsRune(ev.Data, '\r') {
				t.Fatalf("event %s", show([]Event{ev}))
			}
			if ev.Type == "" || ev.Retry < 0 {
				t.Fatalf("event %s", show([]Event{ev}))
			}
		}
	})
}
