package cli

import (
	"context"

	"github.com/pitrix/pitrix/http/client"
)

func adminNoun() noun {
	return noun{name: "admin", summary: "control-plane inspection", verbs: []verb{
		{use: "nodes", summary: "List the control-plane members.", run: adminNodes},
		{use: "actors", summary: "List live actor activations.", run: adminActors},
		{use: "actor KIND ID", summary: "Show one actor's state (always as JSON: it has no fixed shape).", run: adminActor},
		{use: "frontgates", summary: "List the Frontgates (edge proxies) with a stream to the control plane.", run: adminFrontgates},
	}}
}

func adminNodes(ctx context.Context, c *cmd) error {
	if _, err := c.parse(); err != nil {
		return err
	}
	return c.list(ctx, client.Path("v1", "admin", "nodes"), nil, nodeView())
}

func adminFrontgates(ctx context.Context, c *cmd) error {
	if _, err := c.parse(); err != nil {
		return err
	}
	return c.list(ctx, client.Path("v1", "frontgates"), nil, frontgateView())
}

func adminActors(ctx context.Context, c *cmd) error {
	l := addListFlags(c.fs)
	l.filter("kind", "kind", "only actors of this `kind`")
	l.filter("node", "node", "only actors on this `node`")
	if _, err := c.parse(); err != nil {
		return err
	}
	q, err := l.query()
	if err != nil {
		return c.usageErr("%v", err)
	}
	return c.list(ctx, client.Path("v1", "admin", "actors"), q, actorView())
}

func adminActor(ctx context.Context, c *cmd) error {
	pos, err := c.parse()
	if err != nil {
		return err
	}
	raw, err := c.call(ctx, "GET", client.Path("v1", "admin", "actors", pos[0], pos[1]), nil, nil)
	if err != nil {
		return err
	}
	return writeJSON(c.out(), raw)
}
