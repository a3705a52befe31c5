package trust

import (
	"bytes"
	"crypto/tls"
	"errors"
	"strings"
	"testing"
)

func TestTokenRoundTrip(t *testing.T) {
	s, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseToken(" " + s.Token() + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if got != s || got.ClusterID() != s.ClusterID() || !bytes.Equal(got.GossipKey(), s.GossipKey()) {
		t.Fatal("parsed token differs")
	}
	if bytes.Equal(s.GossipKey(), s.WrapKey()) || len(s.GossipKey()) != 32 {
		t.Fatal("derived keys are not distinct 32-byte keys")
	}
	for _, bad := range []string{"", "hello", "ptx1.", "ptx1.!!!!", "ptx1." + strings.Repeat("A", 10)} {
		_, err := ParseToken(bad)
		if !errors.Is(err, ErrBadToken) {
			t.Fatalf("token %q: %v, want ErrBadToken", bad, err)
		}
		if bad != "" && len(bad) > 6 && strings.Contains(err.Error(), bad[5:]) {
			t.Fatalf("error echoes the token: %v", err)
		}
	}
}

// Two nodes with the same token complete a mutual TLS handshake; a node with another
// cluster's token is refused both as client and as server.
func TestPeerTLS(t *testing.T) {
	a, _ := NewSecret()
	b, _ := NewSecret()
	srvA, cliA, err := a.PeerTLS("n1")
	if err != nil {
		t.Fatal(err)
	}
	_, cliA2, _ := a.PeerTLS("n2")
	_, cliB, _ := b.PeerTLS("x")

	ln, err := tls.Listen("tcp", "127.0.0.1:0", srvA)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if err := c.(*tls.Conn).Handshake(); err == nil {
					c.Write([]byte("ok"))
				}
			}()
		}
	}()
	dial := func(cfg *tls.Config) error {
		c, err := tls.Dial("tcp", ln.Addr().String(), cfg)
		if err != nil {
			return err
		}
		defer c.Close()
		buf := make([]byte, 2)
		if _, err := c.Read(buf); err != nil {
			return err
		}
		return nil
	}
	if err := dial(cliA2); err != nil {
		t.Fatalf("same cluster: %v", err)
	}
	if err := dial(cliA); err != nil {
		t.Fatalf("same node: %v", err)
	}
	if err := dial(cliB); err == nil {
		t.Fatal("a node of another cluster completed the handshake")
	}
	// A client of another cluster without our CA is refused too when it trusts our server.
	mixed := cliB.Clone()
	mixed.RootCAs = cliA.RootCAs
	if err := dial(mixed); err == nil {
		t.Fatal("a client certificate of another cluster was accepted")
	}
}
