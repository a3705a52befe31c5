package cli

import (
	"context"

	"github.com/pitrix/pitrix/http/client"
)

func runtimeNoun() noun {
	return noun{name: "runtime", summary: "runtimes: where app clusters run", ids: listIDs("runtimes"), verbs: []verb{
		{use: "list", summary: "List runtimes.", setup: listVerb("runtimes", runtimeView(),
			listFilter{"provider", "provider", "only runtimes of this `provider`", providerNames})},
		{use: "get ID", summary: "Show a runtime.", setup: getVerb("runtimes", runtimeView())},
		{use: "create", summary: "Create a runtime.", setup: runtimeCreate},
		{use: "update ID", summary: "Change the given fields of a runtime.", setup: runtimeUpdate},
		{use: "delete ID", summary: "Delete a runtime (refused while it has live clusters).", setup: deleteVerb("runtimes")},
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
	c.completeFlag("credential", listIDs("runtime_credentials"))
}

func (f *runtimeFlags) body(c *cmd) map[string]any {
	b := map[string]any{}
	setString(c, b, "name", "name", f.name)
	setString(c, b, "description", "description", f.description)
	setString(c, b, "provider", "provider", f.provider)
	setString(c, b, "zone", "zone", f.zone)
	setString(c, b, "credential", "credential_id", f.credential)
	if c.given("label") {
		b["labels"] = f.labels.m
	}
	if c.given("test") {
		b["test"] = f.test
	}
	return b
}

func runtimeCreate(c *cmd) runFunc {
	var f runtimeFlags
	f.register(c)
	return func(ctx context.Context, _ []string) error {
		return c.object(ctx, "POST", client.Path("v1", "runtimes"), nil, f.body(c), runtimeView())
	}
}

func runtimeUpdate(c *cmd) runFunc {
	var f runtimeFlags
	f.register(c)
	return func(ctx context.Context, args []string) error {
		body := f.body(c)
		if len(body) == 0 {
			return c.usageErr("nothing to change: give at least one field flag")
		}
		return c.object(ctx, "PATCH", client.Path("v1", "runtimes", args[0]), nil, body, runtimeView())
	}
}

func providerNoun() noun {
	return noun{name: "provider", summary: "runtime provider plugins", verbs: []verb{
		{use: "list", summary: "List the provider plugins and their app type.", setup: noFlags(providerList)},
	}}
}

func providerList(ctx context.Context, c *cmd, _ []string) error {
	return c.list(ctx, client.Path("v1", "providers"), nil, providerView())
}
