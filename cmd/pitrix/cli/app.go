package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"

	"github.com/pitrix/pitrix/http/client"
)

func appNoun() noun {
	return noun{name: "app", summary: "apps of the store", verbs: []verb{
		{use: "list", summary: "List apps.", run: listVerb("apps", appView(),
			[3]string{"repo", "repo_id", "only apps of this repo `ID`"},
			[3]string{"category", "category_id", "only apps in this category `ID`"},
			[3]string{"status", "status", "only apps in this `status`"})},
		{use: "get ID", summary: "Show an app.", run: getVerb("apps", appView())},
		{use: "update ID", summary: "Change the given fields of an app.", run: appUpdate},
		{use: "delete ID", summary: "Delete an app.", run: deleteVerb("apps")},
		{use: "upload FILE", summary: "Upload a package .tgz (FILE - reads stdin) as a new app in draft, or with --app as a new version of that app.", run: appUpload},
		{use: "versions ID", summary: "List an app's versions.", run: appVersions},
		{use: "validate FILE", summary: "Check a package .tgz without storing it; exits 1 and names each bad file if invalid.", run: appValidate},
	}}
}

func appUpdate(ctx context.Context, c *cmd) error {
	var name, description, icon, home string
	var keywords, categories listFlag
	c.fs.StringVar(&name, "name", "", "app `name`")
	c.fs.StringVar(&description, "description", "", "description `text`")
	c.fs.StringVar(&icon, "icon", "", "icon `URL`")
	c.fs.StringVar(&home, "home", "", "home page `URL`")
	c.fs.Var(&keywords, "keyword", "`keyword` (repeatable; replaces the list)")
	c.fs.Var(&categories, "category", "category `ID` (repeatable; replaces the list)")
	id, err := c.id()
	if err != nil {
		return err
	}
	body := map[string]any{}
	setString(c, body, "name", "name", name)
	setString(c, body, "description", "description", description)
	setString(c, body, "icon", "icon", icon)
	setString(c, body, "home", "home", home)
	if c.given["keyword"] {
		body["keywords"] = []string(keywords)
	}
	if c.given["category"] {
		body["category_ids"] = []string(categories)
	}
	if len(body) == 0 {
		return c.usageErr("nothing to change: give at least one field flag")
	}
	return c.object(ctx, "PATCH", client.Path("v1", "apps", id), nil, body, appView())
}

// packageType registers --type for package verbs.
func packageType(fs *flag.FlagSet) *string {
	return fs.String("type", "", "package `type`: vm or helm (default: the server's guess)")
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

func appUpload(ctx context.Context, c *cmd) error {
	typ := packageType(c.fs)
	appID := c.fs.String("app", "", "add the package as a new version of this app `ID`")
	pos, err := c.parse()
	if err != nil {
		return err
	}
	q, err := checkPackageType(c, *typ)
	if err != nil {
		return err
	}
	body, closeBody, err := c.openInput(pos[0])
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

func appVersions(ctx context.Context, c *cmd) error {
	l := addListFlags(c.fs)
	l.filter("status", "status", "only versions in this `status`")
	id, err := c.id()
	if err != nil {
		return err
	}
	q, err := l.query()
	if err != nil {
		return c.usageErr("%v", err)
	}
	return c.list(ctx, client.Path("v1", "apps", id, "versions"), q, versionView())
}

func appValidate(ctx context.Context, c *cmd) error {
	typ := packageType(c.fs)
	pos, err := c.parse()
	if err != nil {
		return err
	}
	q, err := checkPackageType(c, *typ)
	if err != nil {
		return err
	}
	body, closeBody, err := c.openInput(pos[0])
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
