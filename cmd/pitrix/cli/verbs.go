package cli

import (
	"context"

	"github.com/pitrix/pitrix/http/client"
)

// The verbs every collection has, built over its path under /v1.

// listVerb is "<noun> list" over GET /v1/<collection> with the common list flags.
func listVerb(collection string, v view, filters ...[3]string) func(context.Context, *cmd) error {
	return func(ctx context.Context, c *cmd) error {
		l := addListFlags(c.fs)
		for _, f := range filters {
			l.filter(f[0], f[1], f[2])
		}
		if _, err := c.parse(); err != nil {
			return err
		}
		q, err := l.query()
		if err != nil {
			return c.usageErr("%v", err)
		}
		return c.list(ctx, client.Path("v1", collection), q, v)
	}
}

// getVerb is "<noun> get ID" over GET /v1/<collection>/{id}.
func getVerb(collection string, v view) func(context.Context, *cmd) error {
	return func(ctx context.Context, c *cmd) error {
		id, err := c.id()
		if err != nil {
			return err
		}
		return c.object(ctx, "GET", client.Path("v1", collection, id), nil, nil, v)
	}
}

// deleteVerb is "<noun> delete ID" over DELETE /v1/<collection>/{id}.
func deleteVerb(collection string) func(context.Context, *cmd) error {
	return func(ctx context.Context, c *cmd) error {
		id, err := c.id()
		if err != nil {
			return err
		}
		return c.remove(ctx, client.Path("v1", collection, id), id)
	}
}
