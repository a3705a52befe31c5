package cli

import (
	"context"

	"github.com/pitrix/pitrix/http/client"
)

// The verbs every collection has, built over its path under /v1.

// listFilter is a list flag --name that becomes the query parameter key; ids completes its
// values (nil: none).
type listFilter struct {
	name, key, usage string
	ids              completer
}

// listVerb is "<noun> list" over GET /v1/<collection> with the common list flags.
func listVerb(collection string, v view, filters ...listFilter) func(*cmd) runFunc {
	return func(c *cmd) runFunc {
		l := addListFlags(c.fs)
		for _, f := range filters {
			l.filter(f.name, f.key, f.usage)
			if f.ids != nil {
				c.completeFlag(f.name, f.ids)
			}
		}
		return func(ctx context.Context, _ []string) error {
			q, err := l.query()
			if err != nil {
				return c.usageErr("%v", err)
			}
			return c.list(ctx, client.Path("v1", collection), q, v)
		}
	}
}

// getVerb is "<noun> get ID" over GET /v1/<collection>/{id}.
func getVerb(collection string, v view) func(*cmd) runFunc {
	return func(c *cmd) runFunc {
		return func(ctx context.Context, args []string) error {
			return c.object(ctx, "GET", client.Path("v1", collection, args[0]), nil, nil, v)
		}
	}
}

// deleteVerb is "<noun> delete ID" over DELETE /v1/<collection>/{id}.
func deleteVerb(collection string) func(*cmd) runFunc {
	return func(c *cmd) runFunc {
		return func(ctx context.Context, args []string) error {
			return c.remove(ctx, client.Path("v1", collection, args[0]), args[0])
		}
	}
}

// noFlags is the setup of a verb that has none of its own; run gets the positional arguments.
func noFlags(run func(ctx context.Context, c *cmd, args []string) error) func(*cmd) runFunc {
	return func(c *cmd) runFunc {
		return func(ctx context.Context, args []string) error { return run(ctx, c, args) }
	}
}
