package cli

import (
	"context"

	"github.com/pitrix/pitrix/http/client"
	"github.com/spf13/cobra"
)

func adminNoun() noun {
	return noun{name: "admin", summary: "control-plane inspection", verbs: []verb{
		{use: "nodes", summary: "List the control-plane members.", setup: noFlags(adminNodes)},
		{use: "actors", summary: "List live actor activations.", setup: adminActors},
		{use: "drain NODE", summary: "Move a node's actors to the other nodes before stopping it (its name or id).", setup: noFlags(adminDrain)},
		{use: "actor KIND ID", summary: "Show one actor's state (always as JSON: it has no fixed shape).", setup: noFlags(adminActor)},
		{use: "frontgates", summary: "List the Frontgates (edge proxies) with a stream to the control plane.", setup: noFlags(adminFrontgates)},
	}}
}

func adminNodes(ctx context.Context, c *cmd, _ []string) error {
	return c.list(ctx, client.Path("v1", "admin", "nodes"), nil, nodeView())
}

func adminDrain(ctx context.Context, c *cmd, args []string) error {
	raw, err := c.call(ctx, "POST", client.Path("v1", "admin", "nodes", args[0], "drain"), nil, nil)
	if err != nil {
		return err
	}
	return writeJSON(c.out(), raw)
}

func adminFrontgates(ctx context.Context, c *cmd, _ []string) error {
	return c.list(ctx, client.Path("v1", "frontgates"), nil, frontgateView())
}

func adminActors(c *cmd) runFunc {
	l := addListFlags(c.fs)
	l.filter("kind", "kind", "only actors of this `kind`")
	l.filter("node", "node", "only actors on this `node`")
	c.completeFlag("node", adminNodeIDs)
	return func(ctx context.Context, _ []string) error {
		q, err := l.query()
		if err != nil {
			return c.usageErr("%v", err)
		}
		return c.list(ctx, client.Path("v1", "admin", "actors"), q, actorView())
	}
}

// adminNodeIDs completes the control-plane members' IDs.
func adminNodeIDs(ctx context.Context, c *cmd, _ []string) ([]cobra.Completion, error) {
	return c.candidates(ctx, client.Path("v1", "admin", "nodes"), nil, "id", "address")
}

func adminActor(ctx context.Context, c *cmd, args []string) error {
	raw, err := c.call(ctx, "GET", client.Path("v1", "admin", "actors", args[0], args[1]), nil, nil)
	if err != nil {
		return err
	}
	return writeJSON(c.out(), raw)
}
