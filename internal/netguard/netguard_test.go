package netguard

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func mustGuard(t *testing.T, allow string) *Guard {
	t.Helper()
	prefixes, err := ParseAllow(allow)
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(Config{Allow: prefixes})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestCheck judges addresses without dialling any of them.
func TestCheck(t *testing.T) {
	t.Parallel()
	cases := []struct {
		addr, allow string
		refused     bool
		reason      string
	}{
		{"127.0.0.1", "", true, "loopback"},
		{"::1", "", true, "loopback"},
		{"::ffff:127.0.0.1", "", true, "loopback"},
		{"169.254.169.254", "", true, "link-local"},
		{"fe80::1", "", true, "link-local"},
		{"10.0.0.1", "", true, "private"},
		{"172.16.0.1", "", true, "private"},
		{"172.31.255.254", "", true, "private"},
		{"192.168.1.1", "", true, "private"},
		{"fd00::1", "", true, "private"},
		{"100.64.0.1", "", true, "CGNAT"},
		{"224.0.0.1", "", true, "multicast"},
		{"ff02::1", "", true, "multicast"},
		{"255.255.255.255", "", true, "broadcast"},
		{"0.0.0.0", "", true, "unspecified"},
		{"::", "", true, "unspecified"},
		{"64:ff9b::a9fe:a9fe", "", true, "link-local"}, // NAT64 of 169.254.169.254
		{"93.184.216.34", "", false, ""},
		{"2606:4700::1111", "", false, ""},
		{"172.32.0.1", "", false, ""},
		{"127.0.0.1", "127.0.0.0/8", false, ""},
		{"::ffff:127.0.0.1", "127.0.0.0/8", false, ""},
		{"127.0.0.3", "127.0.0.2/32", true, "loopback"},
		{"127.0.0.2", "127.0.0.2", false, ""},
		{"10.0.0.1", "10.1.0.0/16", true, "private"},
		{"10.1.2.3", "10.1.0.0/16", false, ""},
		{"::1", "::1/128", false, ""},
		{"169.254.169.254", "127.0.0.0/8", true, "link-local"},
	}
	for _, c := range cases {
		t.Run(c.addr+"_allow_"+c.allow, func(t *testing.T) {
			t.Parallel()
			err := mustGuard(t, c.allow).Check(netip.MustParseAddr(c.addr))
			if !c.refused {
				if err != nil {
					t.Fatalf("Check(%s) with allow %q = %v, want allowed", c.addr, c.allow, err)
				}
				return
			}
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("Check(%s) with allow %q = %v, want refused", c.addr, c.allow, err)
			}
			if !strings.Contains(err.Error(), c.reason) || !strings.Contains(err.Error(), "--allow-fetch") {
				t.Errorf("Check(%s) error %q does not say %q and how to allow it", c.addr, err, c.reason)
			}
		})
	}
}

// TestControl checks the dial-time hook on addresses as the dialer hands them, without a
// connect: Control runs before the system call and nothing here calls it.
func TestControl(t *testing.T) {
	t.Parallel()
	g := mustGuard(t, "")
	for addr, refused := range map[string]bool{
		"169.254.169.254:80": true, "10.0.0.1:443": true, "[::1]:80": true, "[fe80::1%eth0]:80": true,
		"93.184.216.34:443": false, "not-an-address": true,
	} {
		err := g.Control("tcp4", addr, nil)
		if got := errors.Is(err, ErrRefused); got != refused {
			t.Errorf("Control(%s) = %v, want refused %v", addr, err, refused)
		}
	}
}

func TestParseAllow(t *testing.T) {
	t.Parallel()
	got, err := ParseAllow(" 127.0.0.0/8, ::1 ,,10.1.2.3/16,::ffff:127.0.0.1/128")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.0/8", "::1/128", "10.1.0.0/16", "127.0.0.1/32"}
	if len(got) != len(want) {
		t.Fatalf("ParseAllow = %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("ParseAllow[%d] = %s, want %s", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"127.0.0.0/33", "localhost", "10.0.0.0/8/1"} {
		if _, err := ParseAllow(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("ParseAllow(%q) = %v, want an error naming it", bad, err)
		}
	}
}

// recorder is a loopback listener that counts the connections it accepts.
type recorder struct {
	ln    net.Listener
	count atomic.Int32
}

func listen(t *testing.T, addr string) *recorder {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("listen on %s: %v", addr, err)
	}
	r := &recorder{ln: ln}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r.count.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return r
}

// TestDialNameResolvingToLoopback dials "localhost", which resolves to loopback only, so a
// broken guard could reach nothing but the local listener, which must see no connection.
func TestDialNameResolvingToLoopback(t *testing.T) {
	t.Parallel()
	rec := listen(t, "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(rec.ln.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := mustGuard(t, "").DialContext(ctx, "tcp", net.JoinHostPort("localhost", port))
	var re *RefusedError
	if !errors.As(err, &re) || re.Host != "localhost" || !re.Addr.IsLoopback() {
		t.Fatalf("dial localhost = %v, want a refusal naming localhost and its loopback address", err)
	}
	if !strings.Contains(err.Error(), "localhost (") {
		t.Errorf("error %q does not name the host", err)
	}
	if n := rec.count.Load(); n != 0 {
		t.Fatalf("listener saw %d connections, want 0", n)
	}

	// Allowed, the same dial connects.
	c, err := mustGuard(t, "127.0.0.0/8,::1").DialContext(ctx, "tcp", rec.ln.Addr().String())
	if err != nil {
		t.Fatalf("dial with loopback allowed: %v", err)
	}
	c.Close()
}

// TestRedirectIntoRefusedRange: 127.0.0.2 is allowed and redirects to 127.0.0.3, which is
// not; the client stops and 127.0.0.3 sees no connection.
func TestRedirectIntoRefusedRange(t *testing.T) {
	t.Parallel()
	target := listen(t, "127.0.0.3:0")
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+target.ln.Addr().String()+"/secret", http.StatusFound)
	}), ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("listen on 127.0.0.2: %v", err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	client := mustGuard(t, "127.0.0.2/32").Client()
	client.Timeout = 5 * time.Second
	resp, err := client.Get("http://" + ln.Addr().String() + "/index.yaml")
	if err == nil {
		resp.Body.Close()
		t.Fatalf("redirect into 127.0.0.3 was followed: %s", resp.Status)
	}
	var re *RefusedError
	if !errors.As(err, &re) || re.Addr != netip.MustParseAddr("127.0.0.3") {
		t.Fatalf("error = %v, want a refusal of 127.0.0.3", err)
	}
	if n := target.count.Load(); n != 0 {
		t.Fatalf("127.0.0.3 saw %d connections, want 0", n)
	}
}

// TestRedirectCap: a loop of redirects on an allowed address stops after MaxRedirects.
func TestRedirectCap(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "/again", http.StatusFound)
	}), ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	prefixes, _ := ParseAllow("127.0.0.1")
	g, err := New(Config{Allow: prefixes, MaxRedirects: 3})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := g.Client().Get("http://" + ln.Addr().String() + "/")
	if err == nil {
		resp.Body.Close()
		t.Fatal("redirect loop was followed to the end")
	}
	if !strings.Contains(err.Error(), "after 3 redirects") {
		t.Errorf("error = %v, want it to say it stopped after 3 redirects", err)
	}
	if n := hits.Load(); n != 4 {
		t.Errorf("server saw %d requests, want 4 (the first and 3 redirects)", n)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	if _, err := New(Config{Allow: []netip.Prefix{{}}}); err == nil {
		t.Error("New accepted an invalid prefix")
	}
	if _, err := New(Config{DialTimeout: -1}); err == nil {
		t.Error("New accepted a negative dial timeout")
	}
}
