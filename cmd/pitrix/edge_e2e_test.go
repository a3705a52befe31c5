package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pitrix/pitrix/edge/pki"
)

// freePort returns a loopback address nothing listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestFrontgateDialsServer: a real `pitrix frontgate` process with a certificate of the
// server's edge CA dials the server's edge listener; the admin API lists it as connected, and
// not after it stopped.
func TestFrontgateDialsServer(t *testing.T) {
	dataDir, dir := t.TempDir(), t.TempDir()
	edge := freePort(t)
	s := startServer(t, dataDir, "--local-runtime=false", "--edge", edge)
	admin := s.client(s.token())

	ca, err := pki.Open(filepath.Join(dataDir, "edge-ca"))
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := ca.Issue(pki.IssueRequest{Kind: pki.KindFrontgate, ID: "fg-e2e", Hosts: []string{"127.0.0.1"}, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	fg := startAgent(t, "frontgate", nil, "frontgate", "--id", "fg-e2e", "--vpc", "vpc-e2e", "--control", edge,
		"--listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "fg"),
		"--cert", writeFile(t, filepath.Join(dir, "fg.crt"), cert), "--key", writeFile(t, filepath.Join(dir, "fg.key"), key),
		"--ca", writeFile(t, filepath.Join(dir, "ca.pem"), ca.CertPEM()))
	fg.waitLine("pitrix: frontgate fg-e2e connected to")
	eventually(t, "the frontgate is listed as connected to this node", func() (bool, string) {
		fgs := list(t, admin, "/v1/frontgates", nil)
		return len(fgs) == 1 && fgs[0]["id"] == "fg-e2e" && fgs[0]["vpc"] == "vpc-e2e" && fgs[0]["connected"] == true && fgs[0]["node"] != "", fmt.Sprint(fgs)
	})
	env := func(k string) string { return map[string]string{"PITRIX_SERVER": s.url, "PITRIX_TOKEN": s.token()}[k] }
	var out, errb bytes.Buffer
	if code := run(ctxT(t), []string{"admin", "frontgates"}, env, nil, &out, &errb); code != 0 || !strings.Contains(out.String(), "vpc-e2e") {
		t.Fatalf("pitrix admin frontgates = %d:\n%s%s", code, out.String(), errb.String())
	}
	fg.stop()
	eventually(t, "the stopped frontgate is listed as disconnected", func() (bool, string) {
		got := list(t, admin, "/v1/frontgates", nil)
		return len(got) == 1 && got[0]["connected"] == false, fmt.Sprint(got)
	})
	apiErr(t, s.client("ptx_nope").Do(ctxT(t), http.MethodGet, "/v1/frontgates", nil, nil, nil), 401, "unauthenticated")
}
