package client

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
)

// Event is one server-sent event as the stream framed it (the WHATWG EventSource rules): ID is
// the last event id seen on the stream, Type the event field ("message" when absent) and Data
// the data lines joined with "\n". On GET /v1/events Data is the JSON of one change
// {seq, type, cluster_id, data, at}; decoding it is the caller's.
type Event struct {
	ID   string
	Type string
	Data []byte
	// Retry is the reconnection delay the server asked for, in milliseconds (0 when it did not).
	Retry int
}

// ErrEventTooLarge is returned when one line or one event's data of a stream exceeds the
// reader's limits, so a broken or hostile server cannot exhaust memory.
var ErrEventTooLarge = errors.New("client: event too large")

// Limits of the event parser.
const (
	maxEventLine = 1 << 20 // bytes of one line
	maxEventData = 4 << 20 // bytes of one event's data
)

// EventReader parses a text/event-stream. It is not safe for concurrent use.
type EventReader struct {
	r       *bufio.Reader
	lastID  string
	afterCR bool // the last line ended with CR: a following LF belongs to it
	started bool // the leading BOM, if any, was skipped
	line    []byte
	data    bytes.Buffer
}

// NewEventReader returns a parser of the stream r.
func NewEventReader(r io.Reader) *EventReader {
	return &EventReader{r: bufio.NewReader(r)}
}

// Next returns the next event. Comments and events without data are skipped; an event cut off
// by the end of the stream is dropped, as the EventSource rules say. At the end it returns
// io.EOF; a read error or ErrEventTooLarge otherwise.
func (er *EventReader) Next() (Event, error) {
	var typ string
	retry := 0
	er.data.Reset()
	for {
		line, err := er.readLine()
		if err != nil {
			return Event{}, err
		}
		if len(line) == 0 {
			if er.data.Len() == 0 {
				typ = ""
				continue
			}
			data := bytes.TrimSuffix(er.data.Bytes(), []byte("\n"))
			if typ == "" {
				typ = "message"
			}
			return Event{ID: er.lastID, Type: typ, Data: bytes.Clone(data), Retry: retry}, nil
		}
		if line[0] == ':' {
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "data":
			if er.data.Len()+len(value)+1 > maxEventData {
				return Event{}, fmt.Errorf("%w: data over %d bytes", ErrEventTooLarge, maxEventData)
			}
			er.data.Write(value)
			er.data.WriteByte('\n')
		case "event":
			typ = string(value)
		case "id":
			if bytes.IndexByte(value, 0) < 0 {
				er.lastID = string(value)
			}
		case "retry":
			if n, err := strconv.Atoi(string(value)); err == nil && n >= 0 && isDigits(value) {
				retry = n
			}
		}
	}
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// readLine returns the next line without its end (CRLF, LF or CR). The slice is valid until the
// next call. A final line without an end is returned as io.EOF: it cannot complete an event.
func (er *EventReader) readLine() ([]byte, error) {
	er.line = er.line[:0]
	for {
		c, err := er.r.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("client: read event stream: %w", err)
		}
		if er.afterCR {
			er.afterCR = false
			if c == '\n' {
				continue
			}
		}
		switch c {
		case '\n':
			return er.stripBOM(), nil
		case '\r':
			er.afterCR = true
			return er.stripBOM(), nil
		}
		if len(er.line) >= maxEventLine {
			return nil, fmt.Errorf("%w: line over %d bytes", ErrEventTooLarge, maxEventLine)
		}
		er.line = append(er.line, c)
	}
}

// stripBOM drops a UTF-8 byte order mark at the very start of the stream.
func (er *EventReader) stripBOM() []byte {
	if !er.started {
		er.started = true
		return bytes.TrimPrefix(er.line, []byte("\xef\xbb\xbf"))
	}
	return er.line
}

// EventStream is an open event stream of the server.
type EventStream struct {
	body io.ReadCloser
	*EventReader
}

// Close ends the stream; a Next blocked on it returns an error.
func (s *EventStream) Close() error { return s.body.Close() }

// OpenEvents opens GET path (e.g. "/v1/events") with query as a server-sent-events stream. The
// stream has no timeout but ctx: it lasts until ctx ends, the server ends it or Close. An error
// answer is returned as an error wrapping *APIError, as with Do.
func (c *Client) OpenEvents(ctx context.Context, path string, query url.Values) (*EventStream, error) {
	resp, err := c.send(ctx, http.MethodGet, path, query, nil, "", "text/event-stream", 0)
	if err != nil {
		return nil, err
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "text/event-stream" {
		resp.Body.Close()
		return nil, fmt.Errorf("client: GET %s: answer is %q, not an event stream", path, resp.Header.Get("Content-Type"))
	}
	return &EventStream{body: resp.Body, EventReader: NewEventReader(resp.Body)}, nil
}

// Events streams GET /v1/events (query may hold cluster_id) on a channel. The channel is closed
// when the stream ends; then the error channel yields why (nil when the server ended the stream,
// ctx's error when ctx ended it) and is closed. The goroutine that reads the stream ends with
// ctx, so a caller that stops reading must cancel ctx.
func (c *Client) Events(ctx context.Context, query url.Values) (<-chan Event, <-chan error) {
	events, errc := make(chan Event), make(chan error, 1)
	go func() {
		defer close(errc)
		defer close(events)
		s, err := c.OpenEvents(ctx, "/v1/events", query)
		if err != nil {
			errc <- err
			return
		}
		defer s.Close()
		// Close the stream when ctx ends so a blocked read returns.
		stop := context.AfterFunc(ctx, func() { s.Close() })
		defer stop()
		for {
			ev, err := s.Next()
			if err != nil {
				if ctx.Err() != nil {
					err = ctx.Err()
				} else if errors.Is(err, io.EOF) {
					err = nil
				}
				errc <- err
				return
			}
			select {
			case events <- ev:
			case <-ctx.Done():
				errc <- ctx.Err()
				return
			}
		}
	}()
	return events, errc
}
