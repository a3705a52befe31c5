package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/pki"
	"github.com/pitrix/pitrix/edge/wire"
)

// agentProc is one `pitrix frontgate` or `pitrix drone` process.
type agentProc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	done chan struct{}

	mu      sync.Mutex
	log     strings.Builder
	changed chan struct{}
}

func startAgent(t *testing.T, name string, env []string, args ...string) *agentProc {
	t.Helper()
	p := &agentProc{t: t, name: name, done: make(chan struct{}), changed: make(chan struct{})}
	p.cmd = exec.Command(binary, args...)
	p.cmd.Env = append(os.Environ(), env...)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.log.WriteString(sc.Text() + "\n")
			close(p.changed)
			p.changed = make(chan struct{})
			p.mu.Unlock()
		}
		_ = p.cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
		if t.Failed() {
			t.Logf("%s log:\n%s", name, p.logText())
		}
	})
	return p
}

func (p *agentProc) logText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// waitLine waits for a line starting with prefix and returns the rest of it.
func (p *agentProc) waitLine(prefix string) string {
	p.t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		p.mu.Lock()
		text, ch := p.log.String(), p.changed
		p.mu.Unlock()
		for l := range strings.Lines(text) {
			if rest, ok := strings.CutPrefix(l, prefix); ok {
				return strings.TrimSpace(rest)
			}
		}
		select {
		case <-ch:
		case <-p.done:
			p.t.Fatalf("%s exited before printing %q:\n%s", p.name, prefix, p.logText())
		case <-deadline:
			p.t.Fatalf("%s did not print %q within 60s:\n%s", p.name, prefix, p.logText())
		}
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (p *agentProc) stop() {
	p.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if !p.cmd.ProcessState.Success() {
			p.t.Errorf("%s exited with %v", p.name, p.cmd.ProcessState)
		}
	case <-time.After(30 * time.Second):
		p.t.Errorf("%s did not stop within 30s of SIGTERM", p.name)
	}
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestAgentsAsProcesses runs `pitrix frontgate` (configured by flags) and `pitrix drone`
// (configured by env) as processes against an in-test control plane, runs one command end to
// end, and stops both with SIGTERM.
func TestAgentsAsProcesses(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.Open(filepath.Join(dir, "ca"))
	if err != nil {
		t.Fatal(err)
	}
	caFile := writeFile(t, filepath.Join(dir, "ca.pem"), ca.CertPEM())
	issue := func(kind pki.Kind, id string, hosts ...string) (string, string, []byte, []byte) {
		cert, key, err := ca.Issue(pki.IssueRequest{Kind: kind, ID: id, Hosts: hosts, TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return writeFile(t, filepath.Join(dir, id+".crt"), cert), writeFile(t, filepath.Join(dir, id+".key"), key), cert, key
	}

	// The control plane's edge listener, in the test.
	_, _, srvCert, srvKey := issue(pki.KindServer, "node-1", "127.0.0.1")
	srvTLS, err := pki.ServerTLS(srvCert, srvKey, ca.CertPEM())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := wire.Listen(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sessions := make(chan *wire.Session, 4)
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() {
		served <- wire.Serve(ctx, ln, srvTLS, wire.Config{Hello: &edgepb.Hello{Role: "server", Id: "node-1"}, PeerKinds: []pki.Kind{pki.KindFrontgate}}, nil,
			func(_ pki.Identity, _ *edgepb.Hello, s *wire.Session) error { sessions <- s; return nil })
	}()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()

	fgCert, fgKey, _, _ := issue(pki.KindFrontgate, "fg-1", "127.0.0.1")
	fg := startAgent(t, "frontgate", nil, "frontgate", "--id", "fg-1", "--vpc", "vpc-1", "--control", ln.Addr().String(),
		"--listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "fg"), "--cert", fgCert, "--key", fgKey, "--ca", caFile)
	droneAddr := fg.waitLine("pitrix: frontgate fg-1 serving drones on ")
	if got := fg.waitLine("pitrix: frontgate fg-1 connected to "); got != ln.Addr().String() {
		t.Errorf("frontgate connected to %q, want %s", got, ln.Addr())
	}

	drCert, drKey, _, _ := issue(pki.KindDrone, "i-1")
	root := filepath.Join(dir, "i-1", "root")
	dr := startAgent(t, "drone", []string{
		"PITRIX_DRONE_INSTANCE_ID=i-1", "PITRIX_DRONE_CLUSTER_ID=cl-1", "PITRIX_DRONE_ROLE=master", "PITRIX_DRONE_IP=127.0.0.1",
		"PITRIX_DRONE_VPC=vpc-1", "PITRIX_DRONE_ROOT=" + root, "PITRIX_DRONE_STATE_DIR=" + filepath.Join(dir, "i-1", "state"),
		"PITRIX_DRONE_FRONTGATE=" + droneAddr, "PITRIX_DRONE_CERT=" + drCert, "PITRIX_DRONE_KEY=" + drKey, "PITRIX_DRONE_CA=" + caFile,
	}, "drone")
	if got := dr.waitLine("pitrix: drone i-1 connected to "); got != droneAddr {
		t.Errorf("drone connected to %q, want %s", got, droneAddr)
	}

	s := <-sessions
	rctx, rcancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer rcancel()
	reply, err := s.Request(rctx, &edgepb.RunCommand{CommandId: "c-1", InstanceId: "i-1", TimeoutSec: 20,
		Cmd: `echo "$PITRIX_INSTANCE_ID $PITRIX_ROLE $PITRIX_ROOT"; pwd; exit 4`})
	if err != nil {
		t.Fatal(err)
	}
	res := reply.(*edgepb.CommandResult)
	if want := fmt.Sprintf("i-1 master %s\n%s\n", root, root); res.ExitCode != 4 || string(res.Stdout) != want {
		t.Errorf("got exit %d stdout %q, want 4 and %q", res.ExitCode, res.Stdout, want)
	}

	dr.stop()
	fg.stop()
}

// TestAgentFlags checks the agents' refusals of bad command lines, in-process.
func TestAgentFlags(t *testing.T) {
	noenv := func(string) string { return "" }
	tests := []struct {
		name string
		run  func(context.Context, []string, func(string) string, *bytes.Buffer) int
		args []string
		env  map[string]string
		code int
		want string
	}{
		{"frontgate help", fgRun, []string{"--help"}, nil, 0, "PITRIX_FG_CONTROL"},
		{"drone help", drRun, []string{"-h"}, nil, 0, "PITRIX_DRONE_STATE_DIR"},
		{"frontgate missing settings", fgRun, nil, nil, 2, "ControlAddrs"},
		{"drone missing settings", drRun, nil, nil, 2, "StateDir"},
		{"bad log level", fgRun, []string{"--log-level", "loud"}, nil, 2, "loud"},
		{"stray argument", drRun, []string{"extra"}, nil, 2, `"extra"`},
		{"bad env duration", drRun, nil, map[string]string{"PITRIX_DRONE_HEALTH_INTERVAL": "soon"}, 2, "PITRIX_DRONE_HEALTH_INTERVAL"},
		{"missing certificate file", fgRun, []string{"--id", "fg-1", "--control", "127.0.0.1:1", "--data-dir", t.TempDir(),
			"--cert", "/no/cert", "--key", "/no/key", "--ca", "/no/ca"}, nil, 2, "/no/cert"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			getenv := noenv
			if tc.env != nil {
				getenv = func(k string) string { return tc.env[k] }
			}
			var out bytes.Buffer
			if code := tc.run(t.Context(), tc.args, getenv, &out); code != tc.code || !strings.Contains(out.String(), tc.want) {
				t.Errorf("exit %d (want %d), output:\n%s\nwant it to mention %q", code, tc.code, out.String(), tc.want)
			}
		})
	}
}

func fgRun(ctx context.Context, args []string, getenv func(string) string, out *bytes.Buffer) int {
	return runFrontgate(ctx, args, getenv, out)
}

func drRun(ctx context.Context, args []string, getenv func(string) string, out *bytes.Buffer) int {
	return runDrone(ctx, args, getenv, out)
}
