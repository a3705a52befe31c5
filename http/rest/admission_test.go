package rest

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/fault"
)

// rawExchange writes head (a request line and headers, no body) on a new connection from the
// given local address ("" for any) and reads the one response.
func (e *testEnv) rawExchange(t *testing.T, local, head string) response {
	t.Helper()
	conn := e.dialFrom(t, local)
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatalf("write request: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read response to %.60q: %v", head, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response body: %v", err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// dialFrom connects to the server from local, an address of 127.0.0.0/8 ("" for any), so a
// test can play several clients over loopback.
func (e *testEnv) dialFrom(t *testing.T, local string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	conn, err := d.DialContext(t.Context(), "tcp", strings.TrimPrefix(e.base, "http://"))
	if err != nil {
		t.Fatalf("dial from %q: %v", local, err)
	}
	return conn
}

// totalAlloc is the bytes this process allocated so far.
func totalAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}

// TestHugeBodyRefusedUnread is chain 2 of issue 7: connections that declare a huge body
// without a valid token (or over the route's limit with one) are answered at once, before the
// server reads or allocates the body. Budget: the 60 requests may allocate 32 MiB in all (the
// client side included); reading one declared body would take 60 MB.
func TestHugeBodyRefusedUnread(t *testing.T) {
	e := startServer(t, Config{})
	const declared = 100_000_000
	cases := []struct {
		name, head string
		status     int
		code, msg  string
	}{
		{"no token json", "POST /v1/categories HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n", 401, fault.CodeUnauthenticated, "bearer token"},
		{"bad token upload", "POST /v1/apps?type=vm HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\nContent-Type: application/gzip\r\n", 401, fault.CodeUnauthenticated, "invalid or expired token"},
		{"unknown path", "POST /v1/nowhere HTTP/1.1\r\nHost: x\r\n", 413, fault.CodeTooLarge, "limit of 4096 bytes"},
		{"admin over the json limit", "POST /v1/categories HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + adminToken + "\r\nContent-Type: application/json\r\n", 413, fault.CodeTooLarge, "limit of 1048576 bytes for POST /v1/categories"},
		{"admin over the package limit", "POST /v1/apps/app-1/versions?type=vm HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + adminToken + "\r\nContent-Type: application/gzip\r\n", 413, fault.CodeTooLarge, fmt.Sprintf("limit of %d bytes", DefaultMaxPackageBytes+multipartSlack)},
	}
	runtime.GC()
	before := totalAlloc()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for range 12 {
				start := time.Now()
				r := e.rawExchange(t, "", fmt.Sprintf("%sContent-Length: %d\r\n\r\n", c.head, declared))
				d := wantError(t, r, c.status, c.code)
				if !strings.Contains(d.Message, c.msg) {
					t.Fatalf("message %q does not say %q", d.Message, c.msg)
				}
				if el := time.Since(start); el > 5*time.Second {
					t.Fatalf("answered after %v: the server waited for the body", el)
				}
			}
		})
	}
	const budget = 32 << 20
	if grew := totalAlloc() - before; grew > budget {
		t.Errorf("60 refused requests allocated %d bytes, over the budget of %d", grew, budget)
	} else {
		t.Logf("60 refused requests declaring %d bytes each allocated %d bytes", declared, grew)
	}
}

// TestChunkedBodyWithoutToken: a chunked body (no declared length) without a token is cut off
// at preAuthBodyBytes.
func TestChunkedBodyWithoutToken(t *testing.T) {
	e := startServer(t, Config{})
	chunk := strings.Repeat("x", 8<<10)
	r := e.rawExchange(t, "", "POST /v1/categories HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"+
		fmt.Sprintf("%x\r\n%s\r\n", len(chunk), chunk))
	wantError(t, r, 413, fault.CodeTooLarge)
}

// TestBodyLimitsPerRoute: a JSON route refuses what an upload route accepts, and says its limit.
func TestBodyLimitsPerRoute(t *testing.T) {
	e := startServer(t, Config{MaxJSONBytes: 4 << 10, MaxPackageBytes: 1 << 20})
	big := `{"name":"` + strings.Repeat("x", 5<<10) + `"}`
	d := wantError(t, e.call("POST", "/v1/categories", big), 413, fault.CodeTooLarge)
	if !strings.Contains(d.Message, "limit of 4096 bytes") {
		t.Errorf("413 message %q does not name the limit", d.Message)
	}
	// A package of ~160 KiB: over the JSON limit and preAuthBodyBytes, under MaxPackageBytes.
	blob := make([]byte, 150<<10)
	_, _ = rand.Read(blob)
	pkg := makeTgz(t, "blob", map[string]string{"NAME": "blob", "VERSION": "1.0.0", "files/blob": hex.EncodeToString(blob)})
	if len(pkg) < 100<<10 {
		t.Fatalf("package is only %d bytes", len(pkg))
	}
	r := e.request("POST", "/v1/apps?type=vm", adminToken, "application/gzip", pkg)
	if r.status != 201 {
		t.Fatalf("upload of %d bytes: %d %s", len(pkg), r.status, r.body)
	}
	body, ct := multipartBody(t, "package", pkg)
	if r := e.request("POST", "/v1/apps/validate_package?type=vm", adminToken, ct, body); r.status != 200 {
		t.Fatalf("multipart validate of %d bytes: %d %s", len(body), r.status, r.body)
	}
}

// TestLargeHeadersRefused: headers over MaxHeaderBytes get 431.
func TestLargeHeadersRefused(t *testing.T) {
	e := startServer(t, Config{})
	r := e.rawExchange(t, "", "GET /v1/categories HTTP/1.1\r\nHost: x\r\nX-Junk: "+strings.Repeat("j", 20<<10)+"\r\n\r\n")
	d := wantError(t, r, 431, fault.CodeInvalid)
	if !strings.Contains(d.Message, fmt.Sprint(DefaultMaxHeaderBytes)) {
		t.Errorf("431 message %q does not name the limit", d.Message)
	}
	// Headers just under the limit are fine.
	if r := e.rawExchange(t, "", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Junk: "+strings.Repeat("j", 12<<10)+"\r\n\r\n"); r.status != 200 {
		t.Errorf("12 KiB of headers: %d %s", r.status, r.body)
	}
}

// TestOverloadSheds: over MaxInFlight a request is answered 429 with Retry-After at once, while
// /healthz still answers.
func TestOverloadSheds(t *testing.T) {
	e := startServer(t, Config{MaxInFlight: 2})
	var c catalog.Category
	e.callOK("POST", "/v1/categories", `{"name":"slow"}`, 201, &c)
	gate, entered := make(chan struct{}), make(chan struct{}, 2)
	e.be.mu.Lock()
	e.be.gate, e.be.entered = gate, entered
	e.be.mu.Unlock()

	var wg sync.WaitGroup
	statuses := make(chan int, 2)
	for range 2 {
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(t.Context(), "GET", e.base+"/v1/categories/"+c.ID, nil)
			req.Header.Set("Authorization", "Bearer "+adminToken)
			resp, err := e.client.Do(req)
			if err != nil {
				statuses <- -1
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		})
	}
	<-entered
	<-entered
	r := e.call("GET", "/v1/categories", "")
	d := wantError(t, r, 429, fault.CodeOverloaded)
	if ra := r.header.Get("Retry-After"); ra != "1" {
		t.Errorf("Retry-After %q, want 1", ra)
	}
	if !strings.Contains(d.Message, "2 requests in flight") {
		t.Errorf("message %q", d.Message)
	}
	if r := e.request("GET", "/healthz", "", "", nil); r.status != 200 {
		t.Errorf("healthz under overload: %d %s", r.status, r.body)
	}
	close(gate)
	wg.Wait()
	for range 2 {
		if st := <-statuses; st != 200 {
			t.Errorf("admitted request answered %d", st)
		}
	}
	e.callOK("GET", "/v1/categories", "", 200, nil) // the slots came back
}

// TestConnsPerIP: a client address over MaxConnsPerIP is answered 429 at accept; another
// address is not affected, and the count comes back when connections close.
func TestConnsPerIP(t *testing.T) {
	e := startServer(t, Config{MaxConnsPerIP: 3})
	var held []net.Conn
	for range 3 {
		held = append(held, e.dialFrom(t, "127.0.0.3"))
	}
	// Wait until the three are counted (Accept runs on fasthttp's goroutine).
	waitPerIP(t, e, "127.0.0.3", 3)
	r := e.rawExchange(t, "127.0.0.3", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	wantError(t, r, 429, fault.CodeOverloaded)
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	if m := e.call("GET", "/metrics", ""); !strings.Contains(string(m.body), `pitrix_http_connections_refused_total{reason="per_ip"} 1`) {
		t.Errorf("metrics do not count the refused connection:\n%s", m.body)
	}
	if r := e.rawExchange(t, "127.0.0.4", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); r.status != 200 {
		t.Errorf("other address: %d %s", r.status, r.body)
	}
	for _, c := range held {
		c.Close()
	}
	waitPerIP(t, e, "127.0.0.3", 0)
	if r := e.rawExchange(t, "127.0.0.3", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); r.status != 200 {
		t.Errorf("after closing: %d %s", r.status, r.body)
	}
}

// TestMaxConns: over MaxConns in total a connection from any address is answered 503 with
// Retry-After at accept.
func TestMaxConns(t *testing.T) {
	e := startServer(t, Config{MaxConns: 4, MaxConnsPerIP: 4})
	for _, ip := range []string{"127.0.0.5", "127.0.0.5", "127.0.0.6", "127.0.0.7"} {
		c := e.dialFrom(t, ip)
		defer c.Close()
	}
	waitPerIP(t, e, "127.0.0.7", 1)
	r := e.rawExchange(t, "127.0.0.8", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	wantError(t, r, 503, fault.CodeUnavailable)
	if r.header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
	}
	if n := e.srv.m.refused.total.Load(); n != 1 {
		t.Errorf("%d connections counted refused in total, want 1", n)
	}
}

// waitPerIP polls until the server counts n connections from ip.
func waitPerIP(t *testing.T, e *testEnv, ip string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ln := e.srv.perIP.Load()
		got := -1
		if ln != nil {
			got = ln.open(mustAddr(t, ip))
		}
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("connections from %s: %d, want %d", ip, got, n)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
	}
}

// TestSlowClientFlood: 500 unauthenticated connections that stall (in the request line, after
// 15 KiB of headers, or after declaring a 60 MB body) cost little memory, and /healthz keeps
// answering within 100 ms during the flood. Budget: 64 MiB of heap and stack growth for the 500
// (about 128 KiB each; one read body would be 60 MB).
func TestSlowClientFlood(t *testing.T) {
	const n = 500
	e := startServer(t, Config{MaxConnsPerIP: n + 10, HeaderTimeout: 20 * time.Second})
	runtime.GC()
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range n {
		c := e.dialFrom(t, "127.0.0.2")
		conns = append(conns, c)
		// A third stall in the request line, a third after 15 KiB of headers, a third after
		// headers declaring a big body they never send (no token: answered 401 at once).
		switch i % 3 {
		case 0:
			io.WriteString(c, "POST /v1/categories HT")
		case 1:
			io.WriteString(c, "POST /v1/categories HTTP/1.1\r\nHost: x\r\nContent-Length: 60000000\r\n\r\n")
		case 2:
			io.WriteString(c, "GET /v1/categories HTTP/1.1\r\nHost: x\r\nX-Junk: "+strings.Repeat("j", 15<<10))
		}
	}
	// The stalled two thirds stay counted; the others are answered 401 and closed.
	waitPerIP(t, e, "127.0.0.2", n-(n+1)/3)

	var worst time.Duration
	for range 20 {
		start := time.Now()
		r := e.request("GET", "/healthz", "", "", nil)
		el := time.Since(start)
		if r.status != 200 {
			t.Fatalf("healthz during the flood: %d %s", r.status, r.body)
		}
		worst = max(worst, el)
	}
	if worst > 100*time.Millisecond {
		t.Errorf("healthz took up to %v during the flood, over 100ms", worst)
	}
	runtime.GC()
	var ms1 runtime.MemStats
	runtime.ReadMemStats(&ms1)
	grew := int64(ms1.HeapInuse+ms1.StackInuse) - int64(ms0.HeapInuse+ms0.StackInuse)
	const budget = 64 << 20
	if grew > budget {
		t.Errorf("%d flood connections grew heap+stacks by %d bytes, over the budget of %d", n, grew, budget)
	}
	t.Logf("%d flood connections: heap+stacks grew %d bytes; healthz worst %v", n, grew, worst)

	// The ones that declared a body were answered 401 and closed already.
	for i := 1; i < 30; i += 3 {
		_ = conns[i].SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conns[i]), nil)
		if err != nil {
			t.Fatalf("conn %d: %v", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("conn %d answered %d, want 401", i, resp.StatusCode)
		}
	}
}

// TestHeaderTimeout: a connection that stalls in its headers is answered 408 and closed after
// HeaderTimeout.
func TestHeaderTimeout(t *testing.T) {
	e := startServer(t, Config{HeaderTimeout: 300 * time.Millisecond})
	c := e.dialFrom(t, "")
	defer c.Close()
	io.WriteString(c, "GET /v1/categories HTTP/1.1\r\nHost: x\r\n")
	start := time.Now()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	wantError(t, response{resp.StatusCode, resp.Header, b}, 408, fault.CodeUnavailable)
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("closed after %v", el)
	}
}

func TestAdmissionConfig(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"tiny headers", Config{MaxHeaderBytes: 1024}, "MaxHeaderBytes"},
		{"negative conns", Config{MaxConns: -1}, "MaxConns"},
		{"negative in flight", Config{MaxInFlight: -1}, "MaxInFlight"},
		{"per ip over total", Config{MaxConns: 10, MaxConnsPerIP: 20}, "MaxConnsPerIP"},
		{"negative header timeout", Config{HeaderTimeout: -time.Second}, "HeaderTimeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.cfg, newMemBackend())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("New: %v, want an error naming %s", err, c.want)
			}
		})
	}
	d := Config{}.withDefaults()
	if d.MaxInFlight != DefaultMaxInFlight || d.MaxConnsPerIP != DefaultMaxConnsPerIP || d.HeaderTimeout != DefaultHeaderTimeout || d.MaxHeaderBytes != DefaultMaxHeaderBytes || d.MaxConns != DefaultMaxConns {
		t.Errorf("defaults %+v", d)
	}
	if err := d.Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
}

func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestUploadSlots: over MaxUploads an upload is answered 429 before its body is read; the slot
// comes back when the upload is answered.
func TestUploadSlots(t *testing.T) {
	e := startServer(t, Config{MaxUploads: 1})
	blob := make([]byte, 40<<10)
	_, _ = rand.Read(blob)
	pkg := makeTgz(t, "slow", map[string]string{"NAME": "slow", "VERSION": "1.0.0", "files/blob": hex.EncodeToString(blob)})
	head := fmt.Sprintf("POST /v1/apps?type=vm HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/gzip\r\nContent-Length: %d\r\n\r\n", adminToken, len(pkg))

	// The first upload sends its headers and half its body, and holds the one slot.
	first := e.dialFrom(t, "")
	defer first.Close()
	_ = first.SetDeadline(time.Now().Add(20 * time.Second))
	io.WriteString(first, head)
	first.Write(pkg[:len(pkg)/2])
	deadline := time.Now().Add(10 * time.Second)
	for e.srv.uploads.busy() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the first upload holds no slot (%d held)", e.srv.uploads.busy())
		}
		time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
	}

	r := e.rawExchange(t, "", head)
	d := wantError(t, r, 429, fault.CodeOverloaded)
	if r.header.Get("Retry-After") != "1" || !strings.Contains(d.Message, "1 package uploads in progress") {
		t.Errorf("second upload: Retry-After %q, message %q", r.header.Get("Retry-After"), d.Message)
	}
	// Small JSON requests are not affected.
	e.callOK("GET", "/v1/categories", "", 200, nil)

	first.Write(pkg[len(pkg)/2:])
	resp, err := http.ReadResponse(bufio.NewReader(first), nil)
	if err != nil {
		t.Fatalf("first upload: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("first upload answered %d", resp.StatusCode)
	}
	if n := e.srv.uploads.busy(); n != 0 {
		t.Fatalf("%d upload slots held after the upload was answered", n)
	}
	pkg2 := makeTgz(t, "next", map[string]string{"NAME": "next", "VERSION": "1.0.0", "files/blob": hex.EncodeToString(blob)})
	if r := e.request("POST", "/v1/apps?type=vm", adminToken, "application/gzip", pkg2); r.status != 201 {
		t.Fatalf("upload after the slot came back: %d %s", r.status, r.body)
	}
}

// TestUploadSlotsExpire: a slot fasthttp never gave back (a request dropped between the header
// hook and any handler) frees itself after its ttl.
func TestUploadSlotsExpire(t *testing.T) {
	u := newUploadSlots(2, time.Minute)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a, okA := u.take(t0)
	_, okB := u.take(t0.Add(time.Second))
	if !okA || !okB {
		t.Fatal("two slots not given")
	}
	if _, ok := u.take(t0.Add(30 * time.Second)); ok {
		t.Fatal("a third slot given while two are held")
	}
	u.give(a)
	c, ok := u.take(t0.Add(30 * time.Second))
	if !ok {
		t.Fatal("a given-back slot not reused")
	}
	// Neither b nor c is given back: both expire.
	if _, ok := u.take(t0.Add(30*time.Second + time.Minute + time.Second)); !ok {
		t.Fatal("expired slots still held")
	}
	u.give(c) // giving back an expired slot is harmless
	if n := u.busy(); n > 2 {
		t.Fatalf("%d slots held", n)
	}
}

// FuzzAdmitBody feeds raw request heads to the header-time admission: it never panics, never
// admits more than the largest route limit, admits unknown and public routes no more than
// preAuthBodyBytes, and refuses only requests that declare a big or chunked body.
func FuzzAdmitBody(f *testing.F) {
	for _, seed := range []string{
		"POST /v1/categories HTTP/1.1\r\nHost: x\r\nContent-Length: 60000000\r\n\r\n",
		"POST /v1/apps?type=vm HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + adminToken + "\r\nContent-Length: 9000\r\n\r\n",
		"POST /v1/apps/%2e%2e/versions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n",
		"PUT http://evil/v1/repos/../../v1/apps HTTP/1.1\r\nHost: x\r\nContent-Length: 99999\r\n\r\n",
	} {
		f.Add(seed)
	}
	srv, err := New(Config{MaxJSONBytes: 8 << 10, MaxPackageBytes: 32 << 10}, newMemBackend())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, head string) {
		var h fasthttp.RequestHeader
		if err := h.Read(bufio.NewReader(strings.NewReader(head))); err != nil {
			return
		}
		a := srv.admitBody(&h)
		if a.limit > srv.cfg.packageBodyLimit() {
			t.Fatalf("%q admitted %d bytes, over every route's limit", head, a.limit)
		}
		if (a.route == nil || a.route.public) && a.limit > preAuthBodyBytes {
			t.Fatalf("%q: unknown or public route admitted %d bytes", head, a.limit)
		}
		if a.err != nil && a.declared != -1 && a.declared <= preAuthBodyBytes {
			t.Fatalf("%q refused a %d-byte body: %v", head, a.declared, a.err)
		}
	})
}
