package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
)

// cmd is one verb being run: its flag set (with the global flags in it), the raw arguments,
// and after parse the positional arguments and which flags were given.
type cmd struct {
	s       *session
	use     string // "repo get ID"
	summary string
	fs      *flag.FlagSet
	args    []string // raw, as given after the verb
	given   map[string]bool
}

func (s *session) newCmd(nounName string, v verb, args []string) *cmd {
	use := nounName + " " + v.use
	fs := newFlagSet("pitrix " + use)
	s.g.register(fs)
	return &cmd{s: s, use: use, summary: v.summary, fs: fs, args: args}
}

func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// Errors and usage are printed by Run, to the right stream with the right exit code.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// positional returns the names of the positional arguments in use: its upper-case words.
func (c *cmd) positional() []string {
	var names []string
	for _, w := range strings.Fields(c.use)[2:] {
		if w == strings.ToUpper(w) && !strings.HasPrefix(w, "[") {
			names = append(names, w)
		}
	}
	return names
}

// parse parses the flags and positional arguments, which may be interleaved, and checks the
// global flags. It returns the positional arguments, exactly as many as use names.
func (c *cmd) parse() ([]string, error) {
	pos, err := parseInterleaved(c.fs, c.args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(c.s.env.Stdout, c.usage())
		return nil, errHelp
	}
	if err != nil {
		return nil, c.usageErr("%v", err)
	}
	c.given = map[string]bool{}
	c.fs.Visit(func(f *flag.Flag) { c.given[f.Name] = true })
	if err := c.s.g.check(); err != nil {
		return nil, c.usageErr("%v", err)
	}
	want := c.positional()
	if len(pos) < len(want) {
		return nil, c.usageErr("missing %s", want[len(pos)])
	}
	if len(pos) > len(want) {
		return nil, c.usageErr("unexpected argument %q", pos[len(want)])
	}
	return pos, nil
}

// parseInterleaved parses flags that may come before, between and after positional
// arguments ("repo get ID -o json"); "--" ends the flags.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func (c *cmd) usageErr(format string, a ...any) error {
	return &usageError{
		msg:   "pitrix " + strings.Fields(c.use)[0] + " " + strings.Fields(c.use)[1] + ": " + fmt.Sprintf(format, a...),
		usage: fmt.Sprintf("Usage: pitrix %s [flags]\nRun 'pitrix %s --help' for the flags.\n", c.use, strings.Join(strings.Fields(c.use)[:2], " ")),
	}
}

func (c *cmd) usage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: pitrix %s [flags]\n\n%s\n", c.use, c.summary)
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	n := 0
	c.fs.VisitAll(func(f *flag.Flag) {
		if isGlobalFlag(f.Name) {
			return
		}
		if n == 0 {
			fmt.Fprint(tw, "\nFlags:\n")
		}
		n++
		arg, text := flag.UnquoteUsage(f)
		if arg != "" {
			arg = " " + arg
		}
		if d := f.DefValue; d != "" && d != "0" && d != "false" {
			text += fmt.Sprintf(" (default %s)", d)
		}
		fmt.Fprintf(tw, "  %s%s%s\t%s\n", dashes(f.Name), f.Name, arg, text)
	})
	tw.Flush()
	b.WriteString("\nGlobal flags: --server URL, --token TOKEN, -o table|json (see 'pitrix help').\n")
	return b.String()
}

// dashes returns how a flag is shown: -f for one letter, --name otherwise (both work).
func dashes(name string) string {
	if len(name) == 1 {
		return "-"
	}
	return "--"
}

// out is where results go.
func (c *cmd) out() io.Writer { return c.s.env.Stdout }

// call calls the API and returns the answer's JSON as the server sent it (nil for an empty
// answer).
func (c *cmd) call(ctx context.Context, method, path string, query url.Values, body any) (json.RawMessage, error) {
	api, err := c.s.client()
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := api.Do(ctx, method, path, query, body, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// list calls GET path and shows the list.
func (c *cmd) list(ctx context.Context, path string, query url.Values, v view) error {
	raw, err := c.call(ctx, "GET", path, query, nil)
	if err != nil {
		return err
	}
	return c.showList(raw, v)
}

// object calls the API and shows the object it answers.
func (c *cmd) object(ctx context.Context, method, path string, query url.Values, body any, v view) error {
	raw, err := c.call(ctx, method, path, query, body)
	if err != nil {
		return err
	}
	return c.showObject(raw, v)
}

// remove calls DELETE path and reports it.
func (c *cmd) remove(ctx context.Context, path, id string) error {
	raw, err := c.call(ctx, "DELETE", path, nil, nil)
	if err != nil {
		return err
	}
	if c.s.g.json() {
		return writeJSON(c.out(), raw)
	}
	fmt.Fprintf(c.out(), "deleted %s\n", sanitize(id))
	return nil
}

// id parses a verb whose only positional argument is an ID and returns it.
func (c *cmd) id() (string, error) {
	pos, err := c.parse()
	if err != nil {
		return "", err
	}
	return pos[0], nil
}
