package cli

import (
	"context"

	"github.com/pitrix/pitrix/http/client"
)

func runtimeNoun() noun {
	return noun{name: "runtime", summary: "runtimes: where app clusters run", verbs: []verb{
		{use: "list", summary: "List runtimes.", run: listVerb("runtimes", runtimeView(),
			[3]string{"provider", "provider", "only runtimes of this `provider`"})},
		{use: "get ID", summary: "Show a runtime.", run: getVerb("runtimes", runtimeView())},
		{use: "create", summary: "Create a runtime.", run: runtimeCreate},
		{use: "update ID", summary: "Change the given fields of a runtime.", run: runtimeUpdate},
		{use: "delete ID", summary: "Delete a runtime (refused while it has live clusters).", run: deleteVerb("runtimes")},
	}}
}

type runtimeFlags struct {
	name, description, provider, zone, credential string
	labels                                        kvFlag
	test                                          bool
}

func (f *runtimeFlags) register(c *cmd) {
	c.fs.StringVar(&f.name, "name", "", "runtime `name`")
	c.fs.StringVar(&f.description, "description", "", "description `text`")
	c.fs.StringVar(&f.provider, "provider", "", "`provider`: kubernetes, local, openstack, ... (see pitrix provider list)")
	c.fs.StringVar(&f.zone, "zone", "", "region or zone for clouds, namespace for kubernetes")
	c.fs.StringVar(&f.credential, "credential", "", "runtime credential `ID` (rcred-...)")
	c.fs.Var(&f.labels, "label", "label `key=value` matched by repo selectors (repeatable)")
	c.fs.BoolVar(&f.test, "test", false, "a test runtime: its owner may deploy their own versions that are not yet active and reviewed")
}

func (f *runtimeFlags) body(c *cmd) map[string]any {
	b := map[string]any{}
	setString(c, b, "name", "name", f.name)
	setString(c, b, "description", "description", f.description)
	setString(c, b, "provider", "provider", f.provider)
	setString(c, b, "zone", "zone", f.zone)
	setString(c, b, "credential", "credential_id", f.credential)
	if c.given["label"] {
		b["labels"] = f.labels.m
	}
	if c.given["test"] {
		b["test"] = f.test
	}
	return b
}

func runtimeCreate(ctx context.Context, c *cmd) error {
	var f runtimeFlags
	f.register(c)
	if _, err := c.parse(); err != nil {
		return err
	}
	return c.object(ctx, "POST", client.Path("v1", "runtimes"), nil, f.body(c), runtimeView())
}

func runtimeUpdate(ctx context.Context, c *cmd) error {
	var f runtimeFlags
	f.register(c)
	id, err := c.id()
	if err != nil {
		return err
	}
	body := f.body(c)
	if len(body) == 0 {
		return c.usageErr("nothing to change: give at least one field flag")
	}
	return c.object(ctx, "PATCH", client.Path("v1", "runtimes", id), nil, body, runtimeView())
}

func providerNoun() noun {
	return noun{name: "provider", summary: "runtime provider plugins", verbs: []verb{
		{use: "list", summary: "List the provider plugins and their app type.", run: providerList},
	}}
}

func providerList(ctx context.Context, c *cmd) error {
	if _, err := c.parse(); err != nil {
		return err
	}
	return c.list(ctx, client.Path("v1", "providers"), nil, providerView())
}
