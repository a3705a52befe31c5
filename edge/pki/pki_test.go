package pki

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

type pair struct{ cert, key []byte }

func issue(t *testing.T, ca *CA, req IssueRequest) pair {
	t.Helper()
	c, k, err := ca.Issue(req)
	if err != nil {
		t.Fatalf("issue %s/%s: %v", req.Kind, req.ID, err)
	}
	return pair{c, k}
}

func openCA(t *testing.T) *CA {
	t.Helper()
	ca, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

type result struct {
	state tls.ConnectionState
	err   error
}

// handshake runs one TLS handshake between a server and a client over real loopback TCP and
// returns what each side saw.
func handshake(t *testing.T, srv, cli *tls.Config) (server, client result) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var wg sync.WaitGroup
	wg.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			server.err = err
			return
		}
		defer c.Close()
		tc := tls.Server(c, srv)
		server.err = tc.HandshakeContext(ctx)
		server.state = tc.ConnectionState()
		if server.err == nil {
			// Tell the client it was accepted: TLS 1.3 clients finish their handshake before the
			// server verifies them, so only a round trip shows them a rejection.
			_, _ = tc.Write([]byte{1})
			_, _ = tc.Read(make([]byte, 1))
		}
	})
	d := tls.Dialer{Config: cli}
	c, err := d.DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		client.err = err
	} else {
		tc := c.(*tls.Conn)
		client.state = tc.ConnectionState()
		// Wait for the server's accept byte or its rejection alert.
		if _, err := tc.Read(make([]byte, 1)); err != nil {
			client.err = err
		}
		c.Close()
	}
	wg.Wait()
	return server, client
}

func TestOpenCreatesAndReloads(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	ca, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{CertFile, KeyFile} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %v, want 0600", name, fi.Mode().Perm())
		}
	}
	again, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Certificate().Equal(ca.Certificate()) {
		t.Error("reopened CA has a different certificate")
	}
	if !ca.Certificate().IsCA {
		t.Error("CA certificate is not a CA")
	}
}

func TestOpenConcurrentCreation(t *testing.T) {
	dir := t.TempDir()
	cas := make([]*CA, 4)
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range cas {
		wg.Go(func() { cas[i], errs[i] = Open(dir) })
	}
	wg.Wait()
	for i := range cas {
		if errs[i] != nil {
			t.Fatalf("Open %d: %v", i, errs[i])
		}
		if !cas[i].Certificate().Equal(cas[0].Certificate()) {
			t.Errorf("Open %d got another CA", i)
		}
	}
}

func TestOpenBroken(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
	}{
		{"cert without key", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, KeyFile))
		}},
		{"key without cert", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, CertFile))
		}},
		{"garbage cert", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, CertFile), []byte("not pem"), 0o600)
		}},
		{"key of another CA", func(t *testing.T, dir string) {
			other := t.TempDir()
			if _, err := Open(other); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(filepath.Join(other, KeyFile))
			os.WriteFile(filepath.Join(dir, KeyFile), b, 0o600)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if _, err := Open(dir); err != nil {
				t.Fatal(err)
			}
			tt.setup(t, dir)
			_, err := Open(dir)
			if !errors.Is(err, ErrBrokenCA) {
				t.Fatalf("Open = %v, want ErrBrokenCA", err)
			}
		})
	}
	if _, err := Open(""); err == nil {
		t.Error("Open(\"\") succeeded")
	}
}

func TestIssue(t *testing.T) {
	ca := openCA(t)
	p := issue(t, ca, IssueRequest{Kind: KindFrontgate, ID: "fg-123", Hosts: []string{"127.0.0.1", "fg.example.internal"}, TTL: time.Hour})
	cert, err := parseCertPEM(p.cert)
	if err != nil {
		t.Fatal(err)
	}
	id, err := CertIdentity(cert)
	if err != nil {
		t.Fatal(err)
	}
	if id != (Identity{KindFrontgate, "fg-123"}) {
		t.Errorf("identity = %v", id)
	}
	if got := cert.URIs[0].String(); got != "pitrix://frontgate/fg-123" {
		t.Errorf("URI SAN = %q", got)
	}
	if len(cert.IPAddresses) != 1 || !cert.IPAddresses[0].Equal(net.ParseIP("127.0.0.1")) || len(cert.DNSNames) != 1 {
		t.Errorf("SANs = %v %v", cert.IPAddresses, cert.DNSNames)
	}
	if life := cert.NotAfter.Sub(time.Now()); life > time.Hour || life < 59*time.Minute {
		t.Errorf("lifetime %s, want about 1h", life)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Certificate())
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Errorf("verify: %v", err)
	}
}

func TestIssueRejects(t *testing.T) {
	ca := openCA(t)
	tests := []struct {
		name string
		req  IssueRequest
	}{
		{"unknown kind", IssueRequest{Kind: "admin", ID: "x"}},
		{"empty id", IssueRequest{Kind: KindDrone}},
		{"id with slash", IssueRequest{Kind: KindDrone, ID: "a/b"}},
		{"id leading dot", IssueRequest{Kind: KindDrone, ID: ".a"}},
		{"negative ttl", IssueRequest{Kind: KindDrone, ID: "d", TTL: -time.Second}},
		{"ttl too long", IssueRequest{Kind: KindDrone, ID: "d", TTL: MaxTTL + time.Hour}},
		{"bad host", IssueRequest{Kind: KindServer, ID: "s", Hosts: []string{"bad host!"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := ca.Issue(tt.req); !errors.Is(err, ErrBadRequest) {
				t.Fatalf("Issue = %v, want ErrBadRequest", err)
			}
		})
	}
}

func TestHandshake(t *testing.T) {
	ca := openCA(t)
	srv := issue(t, ca, IssueRequest{Kind: KindServer, ID: "node-1", Hosts: []string{"127.0.0.1"}})
	fg := issue(t, ca, IssueRequest{Kind: KindFrontgate, ID: "fg-1"})
	srvCfg, err := ServerTLS(srv.cert, srv.key, ca.CertPEM())
	if err != nil {
		t.Fatal(err)
	}
	cliCfg, err := ClientTLS(fg.cert, fg.key, ca.CertPEM(), "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	s, c := handshake(t, srvCfg, cliCfg)
	if s.err != nil || c.err != nil {
		t.Fatalf("handshake: server %v, client %v", s.err, c.err)
	}
	if s.state.Version != tls.VersionTLS13 {
		t.Errorf("version %x, want TLS 1.3", s.state.Version)
	}
	got, err := PeerIdentity(s.state)
	if err != nil || got != (Identity{KindFrontgate, "fg-1"}) {
		t.Errorf("server sees %v, %v", got, err)
	}
	if err := got.Require(KindFrontgate); err != nil {
		t.Errorf("Require frontgate: %v", err)
	}
	got, err = PeerIdentity(c.state)
	if err != nil || got != (Identity{KindServer, "node-1"}) {
		t.Errorf("client sees %v, %v", got, err)
	}
}

func TestHandshakeRefused(t *testing.T) {
	ca := openCA(t)
	other := openCA(t)
	srv := issue(t, ca, IssueRequest{Kind: KindServer, ID: "node-1", Hosts: []string{"127.0.0.1"}})
	srvCfg, err := ServerTLS(srv.cert, srv.key, ca.CertPEM())
	if err != nil {
		t.Fatal(err)
	}

	past := *ca
	past.now = func() time.Time { return time.Now().Add(-3 * time.Hour) }
	expired := issue(t, &past, IssueRequest{Kind: KindFrontgate, ID: "fg-old", TTL: time.Hour})
	foreign := issue(t, other, IssueRequest{Kind: KindFrontgate, ID: "fg-evil"})
	good := issue(t, ca, IssueRequest{Kind: KindFrontgate, ID: "fg-1"})

	tests := []struct {
		name       string
		client     pair
		clientCA   []byte
		serverName string
	}{
		{"client cert from another CA", foreign, ca.CertPEM(), "127.0.0.1"},
		{"expired client cert", expired, ca.CertPEM(), "127.0.0.1"},
		{"server not trusted by client", good, other.CertPEM(), "127.0.0.1"},
		{"server name mismatch", good, ca.CertPEM(), "node.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cli, err := ClientTLS(tt.client.cert, tt.client.key, tt.clientCA, tt.serverName)
			if err != nil {
				t.Fatal(err)
			}
			s, c := handshake(t, srvCfg, cli)
			if s.err == nil && c.err == nil {
				t.Fatal("handshake succeeded")
			}
			if s.err == nil {
				if _, err := PeerIdentity(s.state); err == nil {
					t.Fatal("server accepted a peer identity")
				}
			}
		})
	}

	t.Run("server without client cert", func(t *testing.T) {
		cli, _ := ClientTLS(good.cert, good.key, ca.CertPEM(), "127.0.0.1")
		cli.Certificates = nil
		s, _ := handshake(t, srvCfg, cli)
		if s.err == nil {
			t.Fatal("server accepted a client without certificate")
		}
	})
}

func TestWrongKindRefusedByCaller(t *testing.T) {
	ca := openCA(t)
	fgSrv := issue(t, ca, IssueRequest{Kind: KindFrontgate, ID: "fg-1", Hosts: []string{"127.0.0.1"}})
	drone := issue(t, ca, IssueRequest{Kind: KindDrone, ID: "i-1"})
	srvCfg, _ := ServerTLS(fgSrv.cert, fgSrv.key, ca.CertPEM())
	cli, _ := ClientTLS(drone.cert, drone.key, ca.CertPEM(), "")
	cli.ServerName = "127.0.0.1"
	s, c := handshake(t, srvCfg, cli)
	if s.err != nil || c.err != nil {
		t.Fatalf("handshake: %v %v", s.err, c.err)
	}
	id, err := PeerIdentity(s.state)
	if err != nil {
		t.Fatal(err)
	}
	// A control-plane server accepting Frontgate streams requires a frontgate certificate.
	if err := id.Require(KindFrontgate); !errors.Is(err, ErrWrongKind) {
		t.Fatalf("Require(frontgate) for %v = %v, want ErrWrongKind", id, err)
	}
	if err := id.Require(KindDrone); err != nil {
		t.Fatal(err)
	}
	// A drone certificate cannot serve: it lacks the server-auth usage.
	bad, err := ServerTLS(drone.cert, drone.key, ca.CertPEM())
	if err != nil {
		t.Fatal(err)
	}
	fgCli, _ := ClientTLS(fgSrv.cert, fgSrv.key, ca.CertPEM(), "127.0.0.1")
	if _, c := handshake(t, bad, fgCli); c.err == nil {
		t.Fatal("client accepted a drone certificate as server")
	}
}

func TestParseIdentityURI(t *testing.T) {
	tests := []struct {
		uri  string
		want Identity
		ok   bool
	}{
		{"pitrix://frontgate/fg-123", Identity{KindFrontgate, "fg-123"}, true},
		{"pitrix://drone/i-0042.a_b", Identity{KindDrone, "i-0042.a_b"}, true},
		{"pitrix://server/node-1", Identity{KindServer, "node-1"}, true},
		{"pitrix://admin/x", Identity{}, false},
		{"pitrix://drone/", Identity{}, false},
		{"pitrix://drone/a/b", Identity{}, false},
		{"pitrix://drone/a?x=1", Identity{}, false},
		{"pitrix://u@drone/a", Identity{}, false},
		{"pitrix://drone:1/a", Identity{}, false},
		{"https://drone/a", Identity{}, false},
		{"pitrix:drone/a", Identity{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			u, err := url.Parse(tt.uri)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseIdentityURI(u)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("ParseIdentityURI(%q) = %v, %v", tt.uri, got, err)
			}
			if tt.ok && got.URI().String() != tt.uri {
				t.Errorf("round trip %q", got.URI().String())
			}
		})
	}
}

func FuzzParseIdentityURI(f *testing.F) {
	for _, s := range []string{"pitrix://frontgate/fg-1", "pitrix://drone/%2F", "pitrix://server/a.b-c_d", "pitrix:///", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := url.Parse(s)
		if err != nil {
			return
		}
		id, err := ParseIdentityURI(u)
		if err != nil {
			return
		}
		if err := id.Validate(); err != nil {
			t.Fatalf("accepted invalid identity %v from %q", id, s)
		}
		back, err := ParseIdentityURI(id.URI())
		if err != nil || back != id {
			t.Fatalf("round trip of %v: %v, %v", id, back, err)
		}
	})
}
