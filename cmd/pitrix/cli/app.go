package cli

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"

	"github.com/pitrix/pitrix/http/client"
	"github.com/spf13/cobra"
)

func appNoun() noun {
	return noun{name: "app", summary: "apps of the store", ids: listIDs("apps"), verbs: []verb{
		{use: "list", summary: "List apps.", setup: listVerb("apps", appView(),
			listFilter{"repo", "repo_id", "only apps of this repo `ID`", listIDs("repos")},
			listFilter{"category", "category_id", "only apps in this category `ID`", listIDs("categories")},
			listFilter{"status", "status", "only apps in this `status`", nil})},
		{use: "get ID", summary: "Show an app.", setup: getVerb("apps", appView())},
		{use: "update ID", summary: "Change the given fields of an app.", setup: appUpdate},
		{use: "delete ID", summary: "Delete an app.", setup: deleteVerb("apps")},
		{use: "upload FILE", summary: "Upload a package .tgz (FILE - reads stdin) as a new app in draft, or with --app as a new version of that app.", setup: appUpload},
		{use: "versions ID", summary: "List an app's versions.", setup: appVersions},
		{use: "validate FILE", summary: "Check a package .tgz without storing it; exits 1 and names each bad file if invalid.", setup: appValidate},
	}}
}

func appUpdate(c *cmd) runFunc {
	var name, description, icon, home string
	var keywords, categories listFlag
	c.fs.StringVar(&name, "name", "", "app `name`")
	c.fs.StringVar(&description, "description", "", "description `text`")
	c.fs.StringVar(&icon, "icon", "", "icon `URL`")
	c.fs.StringVar(&home, "home", "", "home page `URL`")
	c.fs.Var(&keywords, "keyword", "`keyword` (repeatable; replaces the list)")
	c.fs.Var(&categories, "category", "category `ID` (repeatable; replaces the list)")
	return func(ctx context.Context, args []string) error {
		body := map[string]any{}
		setString(c, body, "name", "name", name)
		setString(c, body, "description", "description", description)
		setString(c, body, "icon", "icon", icon)
		setString(c, body, "home", "home", home)
		if c.given("keyword") {
			body["keywords"] = []string(keywords)
		}
		if c.given("category") {
			body["category_ids"] = []string(categories)
		}
		if len(body) == 0 {
			return c.usageErr("nothing to change: give at least one field flag")
		}
		return c.object(ctx, "PATCH", client.Path("v1", "apps", args[0]), nil, body, appView())
	}
}

// packageType registers --type for package verbs.
func packageType(c *cmd) *string {
	typ := c.fs.String("type", "", "package `type`: vm or helm (default: the server's guess)")
	c.s.flagCompletion(c.cc, "type", cobra.FixedCompletions([]cobra.Completion{"vm", "helm"}, cobra.ShellCompDirectiveNoFileComp))
	return typ
}

func checkPackageType(c *cmd, typ string) (url.Values, error) {
	q := url.Values{}
	switch typ {
	case "":
	case "vm", "helm":
		q.Set("type", typ)
	default:
		return nil, c.usageErr("invalid value %q for flag -type: want vm or helm", typ)
	}
	return q, nil
}

// packageIdentFlags are --name and --version, for packages without package.json (AppCenter's);
// the file name (<name>-<version>.tgz) is sent too and used when they are not given.
func packageIdentFlags(c *cmd) func(q url.Values, file string) {
	name := c.fs.String("name", "", "the package's `name` when it has no package.json (default: from the file name)")
	version := c.fs.String("version", "", "the package's `version` when it has no package.json (default: from the file name)")
	return func(q url.Values, file string) {
		if *name != "" {
			q.Set("name", *name)
		}
		if *version != "" {
			q.Set("version", *version)
		}
		if file != "-" {
			q.Set("filename", filepath.Base(file))
		}
	}
}

func appUpload(c *cmd) runFunc {
	typ := packageType(c)
	appID := c.fs.String("app", "", "add the package as a new version of this app `ID`")
	ident := packageIdentFlags(c)
	return func(ctx context.Context, args []string) error {
		q, err := checkPackageType(c, *typ)
		if err != nil {
			return err
		}
		ident(q, args[0])
		body, closeBody, err := c.openInput(args[0])
		if err != nil {
			return err
		}
		defer closeBody()
		path := client.Path("v1", "apps")
		if *appID != "" {
			path = client.Path("v1", "apps", *appID, "versions")
		}
		return c.object(ctx, "POST", path, q, body, appView())
	}
}

func appVersions(c *cmd) runFunc {
	l := addListFlags(c.fs)
	l.filter("status", "status", "only versions in this `status`")
	return func(ctx context.Context, args []string) error {
		q, err := l.query()
		if err != nil {
			return c.usageErr("%v", err)
		}
		return c.list(ctx, client.Path("v1", "apps", args[0], "versions"), q, versionView())
	}
}

func appValidate(c *cmd) runFunc {
	typ := packageType(c)
	ident := packageIdentFlags(c)
	return func(ctx context.Context, args []string) error {
		q, err := checkPackageType(c, *typ)
		if err != nil {
			return err
		}
		ident(q, args[0])
		body, closeBody, err := c.openInput(args[0])
		if err != nil {
			return err
		}
		defer closeBody()
		raw, err := c.call(ctx, "POST", client.Path("v1", "apps", "validate_package"), q, body)
		if err != nil {
			return err
		}
		return c.showCheck(raw)
	}
}

// openInput opens a file argument; "-" is stdin. The reader is what the client uploads.
func (c *cmd) openInput(name string) (io.Reader, func(), error) {
	if name == "-" {
		return c.s.env.Stdin, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, fmt.Errorf("open package: %w", err)
	}
	return f, func() { f.Close() }, nil
}
