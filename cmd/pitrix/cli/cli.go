package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/pitrix/pitrix/http/client"
	"github.com/spf13/cobra"
)

// Env is what Run takes from its process: cmd/pitrix fills it from os, tests fill it by hand.
type Env struct {
	// Args are the command-line arguments without the program name.
	Args []string
	// Getenv reads an environment variable (PITRIX_SERVER, PITRIX_TOKEN, PITRIX_CONFIG).
	// Nil means an empty environment.
	Getenv func(string) string
	// Stdin feeds "-" file arguments (app upload -, credential create --content-file -).
	Stdin io.Reader
	// Stdout receives results, Stderr errors and usage errors. Nil discards.
	Stdout, Stderr io.Writer
	// HomeDir locates ~/.config/pitrix/config; empty means no config file.
	HomeDir string
	// Commands are added to the root beside the nouns: cmd/pitrix passes server, frontgate
	// and drone. They report their own errors and return an *ExitError to set the exit code.
	Commands []*cobra.Command

	// pollEvery is how often a followed job is fetched when the event stream is not available
	// (default 1s; tests shorten it).
	pollEvery time.Duration
}

func (e Env) withDefaults() Env {
	if e.Getenv == nil {
		e.Getenv = func(string) string { return "" }
	}
	if e.Stdin == nil {
		e.Stdin = strings.NewReader("")
	}
	if e.Stdout == nil {
		e.Stdout = io.Discard
	}
	if e.Stderr == nil {
		e.Stderr = io.Discard
	}
	if e.pollEvery <= 0 {
		e.pollEvery = defaultPollInterval
	}
	return e
}

// Exit codes of Run.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// Run runs one CLI command line and returns the process exit code: 0 on success, 1 when the
// call failed, 2 for a usage error. It never calls os.Exit and reads nothing from the process
// but env.
func Run(ctx context.Context, env Env) int {
	s := &session{env: env.withDefaults()}
	s.completing = len(s.env.Args) > 0 && strings.HasPrefix(s.env.Args[0], cobra.ShellCompRequestCmd)
	defer s.close()
	root := s.rootCommand()
	root.AddCommand(env.Commands...)
	root.SetArgs(append([]string{}, s.env.Args...)) // never nil: cobra would read os.Args
	_, err := root.ExecuteContextC(ctx)
	return s.exit(err)
}

// session is one Run: its environment, the global flags as parsed, and the client, built on
// first use from the resolved settings.
type session struct {
	env    Env
	g      globals
	api    *client.Client
	server string // resolved, for hints
	token  string // resolved, for hints
	// completing is set when the command line is a shell's completion request
	// (__complete ...): only then are value completions registered.
	completing bool
}

func (s *session) pollInterval() time.Duration { return s.env.pollEvery }

func (s *session) close() {
	if s.api != nil {
		s.api.CloseIdleConnections()
	}
}

// client returns the session's API client, resolving --server and --token on first use.
func (s *session) client() (*client.Client, error) {
	if s.api != nil {
		return s.api, nil
	}
	st, err := resolveSettings(s.g, s.env)
	if err != nil {
		return nil, err
	}
	c, err := client.New(client.Config{Server: st.server, Token: st.token, UserAgent: "pitrix-cli"})
	if err != nil {
		return nil, err
	}
	s.api, s.server, s.token = c, st.server, st.token
	return c, nil
}

// usageError is a bad command line: Run prints it with the usage and exits 2.
type usageError struct {
	msg   string
	usage string
}

func (e *usageError) Error() string { return e.msg }

// ExitError ends Run with Code and prints nothing more: the command that returned it has
// said what went wrong already.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// errFailed means a result saying "not ok" was printed already: exit 1 with nothing more.
var errFailed = errors.New("cli: failed result shown")

func (s *session) exit(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(s.env.Stderr, "error: %s\n", ue.msg)
		if ue.usage != "" {
			fmt.Fprint(s.env.Stderr, "\n"+ue.usage)
		}
		return exitUsage
	}
	if errors.Is(err, errFailed) {
		return exitError
	}
	s.printError(err)
	return exitError
}

// printError writes "error: <code>: <message>" and each detail on its own line for API
// errors, and the error with a hint for transport errors.
func (s *session) printError(err error) {
	w := s.env.Stderr
	var ae *client.APIError
	if errors.As(err, &ae) {
		fmt.Fprintf(w, "error: %s: %s\n", sanitize(ae.Code), sanitize(ae.Message))
		for _, line := range detailLines("", ae.Details) {
			fmt.Fprintf(w, "  %s\n", line)
		}
		if ae.Code == "unauthenticated" && s.token == "" {
			fmt.Fprintln(w, "hint: no token given; set --token, PITRIX_TOKEN or token= in ~/.config/pitrix/config (the server writes <data-dir>/admin.token)")
		}
		return
	}
	fmt.Fprintf(w, "error: %s\n", sanitize(err.Error()))
	var ue *url.Error
	if errors.As(err, &ue) && errors.Is(err, syscall.ECONNREFUSED) {
		fmt.Fprintf(w, "hint: is a server listening at %s? set --server or PITRIX_SERVER\n", s.server)
	}
}

// detailLines flattens error details into sorted "key: value" lines, joining nested keys
// with dots so each bad field gets its own line.
func detailLines(prefix string, details map[string]any) []string {
	var lines []string
	for k, v := range details {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if m, ok := v.(map[string]any); ok && len(m) > 0 {
			lines = append(lines, detailLines(key, m)...)
			continue
		}
		lines = append(lines, sanitize(key)+": "+cellText(v))
	}
	sort.Strings(lines)
	return lines
}
