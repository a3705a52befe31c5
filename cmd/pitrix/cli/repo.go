package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/pitrix/pitrix/http/client"
	"github.com/spf13/pflag"
)

func repoNoun() noun {
	return noun{name: "repo", summary: "app repositories", ids: listIDs("repos"), verbs: []verb{
		{use: "list", summary: "List repos.", setup: listVerb("repos", repoView())},
		{use: "get ID", summary: "Show a repo.", setup: getVerb("repos", repoView())},
		{use: "create", summary: "Create a repo; the server reads its index and starts a first index.", setup: repoCreate},
		{use: "update ID", summary: "Change the given fields of a repo.", setup: repoUpdate},
		{use: "delete ID", summary: "Delete a repo.", setup: deleteVerb("repos")},
		{use: "index ID", summary: "Index a repo now; shows the repo event.", setup: noFlags(repoIndex)},
		{use: "events ID", summary: "List a repo's index events.", setup: repoEvents},
		{use: "validate", summary: "Check that the server can read a repo's index; exits 1 if not.", setup: repoValidate},
	}}
}

// repoFlags are the fields of a repo as flags; body sends only the given ones, so update
// changes only what was asked.
type repoFlags struct {
	name, description, typ, url, visibility, appDefaultStatus string
	providers, categories, groups                             listFlag
	labels                                                    kvFlag
	selectors                                                 selectorFlag
	cred                                                      credentialFlags
}

func (f *repoFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.name, "name", "", "repo `name`")
	fs.StringVar(&f.description, "description", "", "description `text`")
	fs.StringVar(&f.typ, "type", "", "`type`: http, https, s3 or local")
	fs.StringVar(&f.url, "url", "", "`URL` of the repo (its index.yaml's folder)")
	fs.StringVar(&f.visibility, "visibility", "", "`visibility`: public or private")
	fs.Var(&f.providers, "provider", "runtime `provider` its apps run on: kubernetes, local, openstack, ... (repeatable)")
	fs.Var(&f.labels, "label", "label `key=value` (repeatable)")
	fs.Var(&f.selectors, "selector", "runtime selector `key=v1,v2` (repeatable)")
	fs.Var(&f.categories, "category", "category `ID` for its apps (repeatable)")
	fs.Var(&f.groups, "group", "share the repo with group `ID`: its members see the repo's active, reviewed apps (repeatable)")
	fs.StringVar(&f.appDefaultStatus, "app-default-status", "", "`status` of indexed versions: draft or active")
	f.cred.register(fs)
}

func (f *repoFlags) body(c *cmd) map[string]any {
	b := map[string]any{}
	setString(c, b, "name", "name", f.name)
	setString(c, b, "description", "description", f.description)
	setString(c, b, "type", "type", f.typ)
	setString(c, b, "url", "url", f.url)
	setString(c, b, "visibility", "visibility", f.visibility)
	setString(c, b, "app-default-status", "app_default_status", f.appDefaultStatus)
	if c.given("provider") {
		b["providers"] = []string(f.providers)
	}
	if c.given("category") {
		b["category_ids"] = []string(f.categories)
	}
	if c.given("group") {
		b["group_ids"] = []string(f.groups)
	}
	if c.given("label") {
		b["labels"] = f.labels.m
	}
	if c.given("selector") {
		b["selectors"] = f.selectors.m
	}
	if cr := f.cred.body(); cr != nil {
		b["credential"] = cr
	}
	return b
}

// credentialFlags are a repo's credential: --username/--password, or any key with
// --credential key=value (e.g. access_key_id for s3). They are write-only on the server.
type credentialFlags struct {
	username, password string
	extra              kvFlag
}

func (f *credentialFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.username, "username", "", "repo credential user `name`")
	fs.StringVar(&f.password, "password", "", "repo credential `password`")
	fs.Var(&f.extra, "credential", "repo credential field `key=value`, e.g. access_key_id=... (repeatable)")
}

func (f *credentialFlags) body() map[string]any {
	b := map[string]any{}
	for k, v := range f.extra.m {
		b[k] = v
	}
	if f.username != "" {
		b["username"] = f.username
	}
	if f.password != "" {
		b["password"] = f.password
	}
	if len(b) == 0 {
		return nil
	}
	return b
}

// setString puts value into b under key when the flag was given (even as "", to clear it).
func setString(c *cmd, b map[string]any, flagName, key, value string) {
	if c.given(flagName) {
		b[key] = value
	}
}

func repoCreate(c *cmd) runFunc {
	var f repoFlags
	f.register(c.fs)
	return func(ctx context.Context, _ []string) error {
		return c.object(ctx, "POST", client.Path("v1", "repos"), nil, f.body(c), repoView())
	}
}

func repoUpdate(c *cmd) runFunc {
	var f repoFlags
	f.register(c.fs)
	return func(ctx context.Context, args []string) error {
		body := f.body(c)
		if len(body) == 0 {
			return c.usageErr("nothing to change: give at least one field flag")
		}
		return c.object(ctx, "PATCH", client.Path("v1", "repos", args[0]), nil, body, repoView())
	}
}

func repoIndex(ctx context.Context, c *cmd, args []string) error {
	return c.object(ctx, "POST", client.Path("v1", "repos", args[0], "index"), nil, nil, repoEventView())
}

func repoEvents(c *cmd) runFunc {
	l := addListFlags(c.fs)
	l.filter("status", "status", "only events in this `status`: pending, working, successful, failed")
	return func(ctx context.Context, args []string) error {
		q, err := l.query()
		if err != nil {
			return c.usageErr("%v", err)
		}
		return c.list(ctx, client.Path("v1", "repos", args[0], "events"), q, repoEventView())
	}
}

func repoValidate(c *cmd) runFunc {
	var typ, u string
	var cred credentialFlags
	c.fs.StringVar(&typ, "type", "", "`type`: http, https, s3 or local")
	c.fs.StringVar(&u, "url", "", "`URL` of the repo")
	cred.register(c.fs)
	return func(ctx context.Context, _ []string) error {
		body := map[string]any{"type": typ, "url": u}
		if cr := cred.body(); cr != nil {
			body["credential"] = cr
		}
		raw, err := c.call(ctx, "POST", client.Path("v1", "repos", "validate"), nil, body)
		if err != nil {
			return err
		}
		return c.showCheck(raw)
	}
}

// showCheck shows a {ok, error} or {ok, errors} answer and turns ok=false into exit 1.
func (c *cmd) showCheck(raw json.RawMessage) error {
	if err := c.showObject(raw, checkView()); err != nil {
		return err
	}
	var res struct {
		OK *bool `json:"ok"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return fmt.Errorf("decode check result: %w", err)
	}
	if res.OK != nil && !*res.OK {
		return errFailed
	}
	return nil
}
