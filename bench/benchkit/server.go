package benchkit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ListenPrefix starts the line `pitrix server` prints on stderr once its REST front listens.
const ListenPrefix = "pitrix: listening on "

// stopGrace is how long Close waits after SIGTERM before it kills the server.
const stopGrace = 30 * time.Second

// maxTail is how many stderr lines of the server are kept for error reports.
const maxTail = 40

// Server is one `pitrix server` process on loopback ports. Close stops it.
type Server struct {
	cmd     *exec.Cmd
	url     string
	dataDir string
	done    chan struct{} // closed once the process has exited and its stderr is read

	mu   sync.Mutex
	tail []string // the last lines of its stderr, for errors
}

// StartServer runs `bin server` keeping its state in dataDir, its REST front and gossip on
// 127.0.0.1 port 0, with args added to its flags and env to its environment (after this
// process's, with PITRIX_JOIN cleared), and waits until it prints the URL it listens on. ctx
// bounds the start only.
func StartServer(ctx context.Context, bin, dataDir string, args, env []string, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{dataDir: dataDir, done: make(chan struct{})}
	s.cmd = exec.Command(bin, append([]string{"server", "--data-dir", dataDir, "--listen", "127.0.0.1:0",
		"--gossip", "127.0.0.1:0", "--log-level", "warn"}, args...)...)
	s.cmd.Env = append(append(os.Environ(), "PITRIX_JOIN="), env...)
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	urls := make(chan string, 1)
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.keep(line)
			if u, ok := ListenURL(line); ok {
				select {
				case urls <- u:
				default:
				}
			}
			log.Debug("server", "line", line)
		}
		_ = s.cmd.Wait()
	}()
	select {
	case s.url = <-urls:
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("pitrix server exited before listening: %v\n%s", s.cmd.ProcessState, s.tailText())
	case <-ctx.Done():
		err := s.Close()
		return nil, errors.Join(fmt.Errorf("pitrix server did not listen: %w\n%s", ctx.Err(), s.tailText()), err)
	}
}

// ListenURL returns the URL of a `pitrix: listening on URL` line, which must be an http URL
// on a loopback address (nothing else is ever dialled); only its scheme, host and port are kept.
func ListenURL(line string) (string, bool) {
	rest, ok := strings.CutPrefix(line, ListenPrefix)
	if !ok {
		return "", false
	}
	u, err := url.Parse(strings.TrimSpace(rest))
	if err != nil || u.Scheme != "http" || u.User != nil || u.Port() == "" {
		return "", false
	}
	switch u.Hostname() {
	case "127.0.0.1", "localhost", "::1":
		return "http://" + u.Host, true
	}
	return "", false
}

// URL is where the server's REST front listens.
func (s *Server) URL() string { return s.url }

// Pid is the server process's id, e.g. to read its memory from /proc.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

func (s *Server) keep(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.tail) == maxTail {
		s.tail = s.tail[1:]
	}
	s.tail = append(s.tail, line)
}

func (s *Server) tailText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.tail, "\n")
}

// Token reads the bootstrap admin's bearer token the server wrote into its data directory.
func (s *Server) Token() (string, error) {
	b, err := os.ReadFile(filepath.Join(s.dataDir, "admin.token"))
	if err != nil {
		return "", fmt.Errorf("read admin token: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Close sends SIGTERM and waits for the process to exit; after stopGrace it kills it. A
// server that did not exit cleanly on SIGTERM is an error.
func (s *Server) Close() error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(stopGrace):
		_ = s.cmd.Process.Kill()
		<-s.done
		return fmt.Errorf("pitrix server did not stop within %v of SIGTERM; killed\n%s", stopGrace, s.tailText())
	}
	if !s.cmd.ProcessState.Success() {
		return fmt.Errorf("pitrix server exited with %v after SIGTERM\n%s", s.cmd.ProcessState, s.tailText())
	}
	return nil
}
