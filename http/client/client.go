package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Client calls one Pitrix server. It is safe for concurrent use.
type Client struct {
	base      string // scheme://host[/prefix] without a trailing slash
	token     string
	hc        *http.Client
	timeout   time.Duration
	maxResp   int64
	userAgent string
}

// New returns a Client for cfg after applying defaults and validating it.
func New(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.Server) // Validate parsed it
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	hc := cfg.HTTPClient
	if hc == nil {
		tr, ok := http.DefaultTransport.(*http.Transport)
		if !ok {
			return nil, errors.New("client: http.DefaultTransport is not an *http.Transport")
		}
		hc = &http.Client{Transport: tr.Clone()}
	}
	return &Client{
		base:      u.String(),
		token:     cfg.Token,
		hc:        hc,
		timeout:   cfg.Timeout,
		maxResp:   cfg.MaxResponseBytes,
		userAgent: cfg.UserAgent,
	}, nil
}

// Server returns the base URL the client calls.
func (c *Client) Server() string { return c.base }

// CloseIdleConnections closes the kept-alive connections of the client's transport. A
// short-lived caller (the CLI) calls it when done so no connection goroutine outlives it.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// Do calls method on path (already escaped, starting with "/", e.g. built with Path) with
// the given query and body, and decodes a successful response into out.
//
// body is nil (no body), an io.Reader (sent as-is with Content-Type application/gzip: a
// package .tgz), or any other value, encoded as JSON. out is nil (the body is discarded), an
// io.Writer (the body is copied to it, uncapped), or a pointer that encoding/json can decode
// into (a *json.RawMessage keeps the server's bytes); an empty body (204) leaves out as it
// was. A status of 400 or more is returned as an error wrapping *APIError.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	rd, ctype, err := encodeBody(body)
	if err != nil {
		return fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	resp, err := c.Raw(ctx, method, path, query, rd, ctype)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := c.decodeBody(resp.Body, out); err != nil {
		return fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	return nil
}

// Raw calls method on path with body sent as-is under contentType (none when empty) and
// returns the response with its body unread; the caller must close it. The call's timeout
// keeps running until the body is closed. A status of 400 or more is not returned as a
// response: its body is read and decoded into an error wrapping *APIError.
//
// When body is an *os.File (or has a Len method) its length is sent as Content-Length, so
// large uploads are not chunked; Raw never closes body.
func (c *Client) Raw(ctx context.Context, method, path string, query url.Values, body io.Reader, contentType string) (*http.Response, error) {
	return c.send(ctx, method, path, query, body, contentType, "application/json", c.timeout)
}

// send is Raw with the Accept header and the timeout (none when not positive) given.
func (c *Client) send(ctx context.Context, method, path string, query url.Values, body io.Reader, contentType, accept string, timeout time.Duration) (*http.Response, error) {
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("client: %s %q: path must start with /", method, path)
	}
	target := c.base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	cancel := context.CancelFunc(func() {})
	if timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, timeout)
	}
	req, err := newRequest(ctx, method, target, body)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	if contentType != "" && body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", c.userAgent)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		cancel()
		return nil, err // *url.Error names the method and URL
	}
	if resp.StatusCode >= 400 {
		defer cancel()
		defer resp.Body.Close()
		data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return nil, fmt.Errorf("client: %s %s: %w", method, path, decodeError(resp.StatusCode, data))
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// Download calls GET on path and copies the response body to w, returning the number of
// bytes written. It is how package .tgz files and package files are fetched.
func (c *Client) Download(ctx context.Context, path string, query url.Values, w io.Writer) (int64, error) {
	resp, err := c.Raw(ctx, http.MethodGet, path, query, nil, "")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("client: GET %s: read body: %w", path, err)
	}
	return n, nil
}

// Path joins segments into an escaped absolute path: Path("v1", "repos", id) is
// "/v1/repos/<id>" with id escaped, so an id can never change which endpoint is called.
func Path(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

func encodeBody(body any) (io.Reader, string, error) {
	switch b := body.(type) {
	case nil:
		return nil, "", nil
	case io.Reader:
		return b, "application/gzip", nil
	}
	data, err := json.Marshal(body)
	if err != nil {
		return nil, "", fmt.Errorf("encode request body: %w", err)
	}
	return bytes.NewReader(data), "application/json", nil
}

func newRequest(ctx context.Context, method, target string, body io.Reader) (*http.Request, error) {
	if body == nil {
		return http.NewRequestWithContext(ctx, method, target, nil)
	}
	size := contentLength(body)
	// NopCloser: the transport closes a ReadCloser body, and the caller owns its file.
	req, err := http.NewRequestWithContext(ctx, method, target, io.NopCloser(body))
	if err != nil {
		return nil, err
	}
	switch {
	case size > 0:
		req.ContentLength = size
	case size == 0:
		req.ContentLength = 0
		req.Body = http.NoBody
	}
	return req, nil
}

// contentLength returns how many bytes body will yield, or -1 when that is unknown.
func contentLength(body io.Reader) int64 {
	switch b := body.(type) {
	case interface{ Len() int }:
		return int64(b.Len())
	case *os.File:
		fi, err := b.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return -1
		}
		off, err := b.Seek(0, io.SeekCurrent)
		if err != nil || off > fi.Size() {
			return -1
		}
		return fi.Size() - off
	}
	return -1
}

func (c *Client) decodeBody(body io.Reader, out any) error {
	switch o := out.(type) {
	case nil:
		_, err := io.Copy(io.Discard, io.LimitReader(body, c.maxResp))
		return err
	case io.Writer:
		if _, err := io.Copy(o, body); err != nil {
			return fmt.Errorf("read body: %w", err)
		}
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(body, c.maxResp+1))
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if int64(len(data)) > c.maxResp {
		return fmt.Errorf("%w: over %d bytes", ErrResponseTooLarge, c.maxResp)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	return nil
}

// cancelBody releases the call's timeout when the caller closes the body.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
