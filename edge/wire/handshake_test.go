package wire

import (
	"crypto/tls"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/pki"
)

func TestDialServe(t *testing.T) {
	p := newEdgePKI(t)
	srvCfg := fastConfig(t)
	srvCfg.Hello = helloOf(pki.KindServer, "node-1")
	srvCfg.PeerKinds = []pki.Kind{pki.KindFrontgate}
	accepted := make(chan *Session, 1)
	addr := serve(t, p.server, srvCfg, echo, func(id pki.Identity, hello *edgepb.Hello, s *Session) error {
		if id != (pki.Identity{Kind: pki.KindFrontgate, ID: "fg-1"}) || hello.Vpc != "vpc-1" {
			t.Errorf("accept saw %v %v", id, hello)
		}
		accepted <- s
		return nil
	})

	cliCfg := fastConfig(t)
	cliCfg.Hello = helloOf(pki.KindFrontgate, "fg-1")
	cliCfg.PeerKinds = []pki.Kind{pki.KindServer}
	s, err := Dial(t.Context(), addr, p.fgClient, cliCfg, echo)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Peer() != (pki.Identity{Kind: pki.KindServer, ID: "node-1"}) || s.PeerHello().GetRole() != "server" || s.PeerHello().GetProtocol() != ProtocolVersion {
		t.Fatalf("peer %v hello %v", s.Peer(), s.PeerHello())
	}
	if !strings.HasPrefix(s.PeerName(), "server/node-1 at 127.0.0.1:") {
		t.Fatalf("peer name %q", s.PeerName())
	}
	srv := <-accepted
	// Both directions over the one stream.
	reply, err := s.Request(t.Context(), &edgepb.RunCommand{CommandId: "up", Cmd: "true"})
	if err != nil || reply.(*edgepb.CommandResult).CommandId != "up" {
		t.Fatalf("frontgate → server: %v %v", reply, err)
	}
	reply, err = srv.Request(t.Context(), &edgepb.RunCommand{CommandId: "down", Cmd: "true"})
	if err != nil || reply.(*edgepb.CommandResult).CommandId != "down" {
		t.Fatalf("server → frontgate: %v %v", reply, err)
	}
	if srv.Peer().ID != "fg-1" || srv.PeerHello().GetId() != "fg-1" {
		t.Fatalf("server side peer %v", srv.Peer())
	}
}

func TestServeRefuses(t *testing.T) {
	p := newEdgePKI(t)
	other, err := pki.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	oc, ok, _ := other.Issue(pki.IssueRequest{Kind: pki.KindFrontgate, ID: "fg-1"})
	foreign, err := pki.ClientTLS(oc, ok, p.ca.CertPEM(), "")
	if err != nil {
		t.Fatal(err)
	}

	srvCfg := fastConfig(t)
	srvCfg.Hello = helloOf(pki.KindServer, "node-1")
	srvCfg.PeerKinds = []pki.Kind{pki.KindFrontgate}
	addr := serve(t, p.server, srvCfg, echo, func(id pki.Identity, hello *edgepb.Hello, s *Session) error {
		if hello.Vpc == "vpc-banned" {
			return errors.New("vpc-banned is not served here")
		}
		return nil
	})

	tests := []struct {
		name  string
		tls   func() *tls.Config
		hello *edgepb.Hello
		check func(t *testing.T, err error)
	}{
		{"drone where a frontgate is required", func() *tls.Config { return p.drClient }, helloOf(pki.KindDrone, "i-1"), func(t *testing.T, err error) {
			// The server drops the connection after the TLS handshake.
			if err == nil {
				t.Fatal("drone accepted")
			}
		}},
		{"hello claims another id", func() *tls.Config { return p.fgClient }, helloOf(pki.KindFrontgate, "fg-2"), func(t *testing.T, err error) {
			var re *RemoteError
			if !errors.As(err, &re) || re.Code != CodeRejected || !strings.Contains(re.Message, "fg-2") {
				t.Fatalf("err = %v, want rejected naming fg-2", err)
			}
		}},
		{"accept refuses", func() *tls.Config { return p.fgClient }, &edgepb.Hello{Role: "frontgate", Id: "fg-1", Vpc: "vpc-banned"}, func(t *testing.T, err error) {
			var re *RemoteError
			if !errors.As(err, &re) || re.Code != CodeRejected || !strings.Contains(re.Message, "vpc-banned is not served") {
				t.Fatalf("err = %v, want rejected with accept's reason", err)
			}
		}},
		{"client from another CA", func() *tls.Config { return foreign }, helloOf(pki.KindFrontgate, "fg-1"), func(t *testing.T, err error) {
			if err == nil {
				t.Fatal("foreign client accepted")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fastConfig(t)
			cfg.Hello = tt.hello
			cfg.HandshakeTimeout = 5 * time.Second
			s, err := Dial(t.Context(), addr, tt.tls(), cfg, echo)
			if err == nil {
				s.Close()
			}
			tt.check(t, err)
			if err != nil && !strings.Contains(err.Error(), addr) {
				t.Fatalf("error %q does not name %s", err, addr)
			}
		})
	}

	t.Run("client requires another server kind", func(t *testing.T) {
		cfg := fastConfig(t)
		cfg.Hello = helloOf(pki.KindFrontgate, "fg-1")
		cfg.PeerKinds = []pki.Kind{pki.KindFrontgate}
		_, err := Dial(t.Context(), addr, p.fgClient, cfg, echo)
		if !errors.Is(err, ErrHandshake) || !errors.Is(err, pki.ErrWrongKind) {
			t.Fatalf("err = %v, want wrong kind", err)
		}
	})
}

func TestServeHostileHandshakes(t *testing.T) {
	p := newEdgePKI(t)
	srvCfg := fastConfig(t)
	srvCfg.Hello = helloOf(pki.KindServer, "node-1")
	srvCfg.HandshakeTimeout = 300 * time.Millisecond
	addr := serve(t, p.server, srvCfg, echo, func(pki.Identity, *edgepb.Hello, *Session) error { return nil })

	t.Run("plain bytes instead of TLS", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 512)); err == nil {
			// A TLS alert may arrive first; the connection must end after it.
			_, err = c.Read(make([]byte, 512))
			if err == nil {
				t.Fatal("server kept talking")
			}
		}
	})
	t.Run("silent after TLS", func(t *testing.T) {
		conn, err := tlsDial(t.Context(), addr, p.fgClient)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("server did not drop a silent client: %v", err)
		}
	})
	t.Run("first message not a Hello", func(t *testing.T) {
		conn, err := tlsDial(t.Context(), addr, p.fgClient)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		writeEnv(t, conn, &edgepb.Envelope{Id: 1, Type: "pitrix.edge.Ping"})
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := readFrame(conn, DefaultMaxFrame); err == nil {
			t.Fatal("server answered a stream without Hello")
		}
	})
	t.Run("wrong protocol", func(t *testing.T) {
		conn, err := tlsDial(t.Context(), addr, p.fgClient)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		h := helloOf(pki.KindFrontgate, "fg-1")
		h.Protocol = 99
		writeEnv(t, conn, &edgepb.Envelope{Id: 1, Type: "pitrix.edge.Hello", Payload: mustMarshal(t, h)})
		if env := readEnv(t, conn); env.ErrorCode != CodeProtocol {
			t.Fatalf("reply %v, want %s", env, CodeProtocol)
		}
	})
}

func TestDialUnreachableNamesAddress(t *testing.T) {
	p := newEdgePKI(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := fastConfig(t)
	cfg.Hello = helloOf(pki.KindFrontgate, "fg-1")
	_, err = Dial(t.Context(), addr, p.fgClient, cfg, nil)
	if err == nil || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("Dial = %v, want connection refused naming %s", err, addr)
	}
	cfg.Hello = nil
	if _, err := Dial(t.Context(), addr, p.fgClient, cfg, nil); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("Dial without Hello = %v", err)
	}
}
