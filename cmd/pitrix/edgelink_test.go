package main

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenEdgeKeepsItsAddress: with port 0 the edge listener takes the last run's address again
// (Frontgates keep dialing it), and another one when that is taken, recording it.
func TestOpenEdgeKeepsItsAddress(t *testing.T) {
	dir := t.TempDir()
	open := func() string {
		t.Helper()
		ctx, cancel := context.WithCancel(t.Context())
		g, err := openEdge(ctx, "127.0.0.1:0", dir, "node-1", slog.New(slog.DiscardHandler), nil)
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		_ = g.Run(ctx) // ends at once, closing the listener
		return g.Addr()
	}
	first := open()
	if again := open(); again != first {
		t.Fatalf("second start listens on %s, first on %s", again, first)
	}
	ln, err := net.Listen("tcp", first)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	third := open()
	recorded, _ := os.ReadFile(filepath.Join(dir, edgeAddrFile))
	if third == first || strings.TrimSpace(string(recorded)) != third {
		t.Fatalf("with %s taken: listened on %s, recorded %q", first, third, recorded)
	}
}
