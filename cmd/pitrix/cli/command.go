package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// cmd is one verb: its cobra command and flag set, where its setup registers the flags, and
// the session it runs in.
type cmd struct {
	s  *session
	cc *cobra.Command
	fs *pflag.FlagSet
}

// given reports whether the flag name was set on the command line (even to "").
func (c *cmd) given(name string) bool { return c.fs.Changed(name) }

// positional returns the names of the positional arguments in use: its upper-case words.
func (c *cmd) positional() []string {
	var names []string
	for _, w := range strings.Fields(c.cc.Use)[1:] {
		if w == strings.ToUpper(w) && !strings.HasPrefix(w, "[") {
			names = append(names, w)
		}
	}
	return names
}

// checkArgs wants exactly the positional arguments use names.
func (c *cmd) checkArgs(pos []string) error {
	want := c.positional()
	if len(pos) < len(want) {
		return c.usageErr("missing %s", want[len(pos)])
	}
	if len(pos) > len(want) {
		return c.usageErr("unexpected argument %q", pos[len(want)])
	}
	return nil
}

func (c *cmd) usageErr(format string, a ...any) error {
	return &usageError{msg: c.cc.CommandPath() + ": " + fmt.Sprintf(format, a...), usage: shortUsage(c.cc)}
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
