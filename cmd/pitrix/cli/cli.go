package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/pitrix/pitrix/http/client"
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
	defer s.close()
	return s.exit(s.run(ctx, env.Args))
}

// IsCLINoun reports whether Run handles a command line whose first argument is name: a noun,
// a help word, or a flag (global flags may precede the noun). cmd/pitrix routes "server",
// "frontgate" and "drone" elsewhere, and Run answers any other word with a usage error.
func IsCLINoun(name string) bool {
	if strings.HasPrefix(name, "-") || name == "help" {
		return true
	}
	_, ok := findNoun(catalog(), name)
	return ok
}

// session is one Run: its environment, the global flags as parsed so far, and the client,
// built on first use from the resolved settings.
type session struct {
	env    Env
	g      globals
	api    *client.Client
	server string // resolved, for hints
	token  string // resolved, for hints
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

func (s *session) run(ctx context.Context, args []string) error {
	fs := newFlagSet("pitrix")
	s.g.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(s.env.Stdout, mainUsage())
			return errHelp
		}
		return &usageError{msg: err.Error(), usage: mainUsage()}
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return &usageError{msg: "missing command", usage: mainUsage()}
	}
	name, rest := rest[0], rest[1:]
	if name == "help" {
		return s.help(ctx, rest)
	}
	nouns := catalog()
	n, ok := findNoun(nouns, name)
	if !ok {
		return &usageError{msg: fmt.Sprintf("unknown command %q", name), usage: mainUsage()}
	}
	if len(rest) == 0 {
		return &usageError{msg: fmt.Sprintf("pitrix %s: missing verb", n.name), usage: n.usage()}
	}
	if isHelpWord(rest[0]) {
		fmt.Fprint(s.env.Stdout, n.usage())
		return errHelp
	}
	v, ok := n.find(rest[0])
	if !ok {
		return &usageError{msg: fmt.Sprintf("pitrix %s: unknown verb %q", n.name, rest[0]), usage: n.usage()}
	}
	return v.run(ctx, s.newCmd(n.name, v, rest[1:]))
}

// help answers "pitrix help [noun [verb]]".
func (s *session) help(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(s.env.Stdout, mainUsage())
		return errHelp
	}
	n, ok := findNoun(catalog(), args[0])
	if !ok {
		return &usageError{msg: fmt.Sprintf("help: unknown command %q", args[0]), usage: mainUsage()}
	}
	if len(args) == 1 {
		fmt.Fprint(s.env.Stdout, n.usage())
		return errHelp
	}
	v, ok := n.find(args[1])
	if !ok {
		return &usageError{msg: fmt.Sprintf("help: pitrix %s: unknown verb %q", n.name, args[1]), usage: n.usage()}
	}
	return v.run(ctx, s.newCmd(n.name, v, []string{"--help"}))
}

func isHelpWord(a string) bool {
	return a == "help" || a == "-h" || a == "-help" || a == "--help"
}

// usageError is a bad command line: Run prints it with the usage and exits 2.
type usageError struct {
	msg   string
	usage string
}

func (e *usageError) Error() string { return e.msg }

// errHelp means usage was printed on request: exit 0.
var errHelp = errors.New("cli: help shown")

// errFailed means a result saying "not ok" was printed already: exit 1 with nothing more.
var errFailed = errors.New("cli: failed result shown")

func (s *session) exit(err error) int {
	if err == nil || errors.Is(err, errHelp) {
		return exitOK
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

// noun is a resource of the API and its verbs.
type noun struct {
	name    string
	summary string
	verbs   []verb
}

// verb is one command of a noun. use is "<verb> [ARGS...]" as shown in usage; run gets a
// cmd whose flag set already holds the global flags, registers its own and calls parse.
type verb struct {
	use     string
	summary string
	run     func(ctx context.Context, c *cmd) error
}

func (v verb) name() string { return strings.Fields(v.use)[0] }

func (n noun) find(name string) (verb, bool) {
	i := slices.IndexFunc(n.verbs, func(v verb) bool { return v.name() == name })
	if i < 0 {
		return verb{}, false
	}
	return n.verbs[i], true
}

func findNoun(nouns []noun, name string) (noun, bool) {
	i := slices.IndexFunc(nouns, func(n noun) bool { return n.name == name })
	if i < 0 {
		return noun{}, false
	}
	return nouns[i], true
}

// catalog lists the nouns. It is built per call so no package-level state exists.
func catalog() []noun {
	return []noun{
		repoNoun(),
		appNoun(),
		versionNoun(),
		categoryNoun(),
		runtimeNoun(),
		credentialNoun(),
		providerNoun(),
		clusterNoun(),
		jobNoun(),
		adminNoun(),
	}
}
