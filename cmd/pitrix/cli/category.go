package cli

import (
	"context"

	"github.com/pitrix/pitrix/http/client"
)

func categoryNoun() noun {
	return noun{name: "category", summary: "app categories", ids: listIDs("categories"), verbs: []verb{
		{use: "list", summary: "List categories.", setup: listVerb("categories", categoryView())},
		{use: "get ID", summary: "Show a category.", setup: getVerb("categories", categoryView())},
		{use: "create", summary: "Create a category.", setup: categoryCreate},
		{use: "update ID", summary: "Change the given fields of a category.", setup: categoryUpdate},
		{use: "delete ID", summary: "Delete a category.", setup: deleteVerb("categories")},
	}}
}

type categoryFlags struct{ name, description, icon string }

func (f *categoryFlags) register(c *cmd) {
	c.fs.StringVar(&f.name, "name", "", "category `name`")
	c.fs.StringVar(&f.description, "description", "", "description `text`")
	c.fs.StringVar(&f.icon, "icon", "", "icon `URL`")
}

func (f *categoryFlags) body(c *cmd) map[string]any {
	b := map[string]any{}
	setString(c, b, "name", "name", f.name)
	setString(c, b, "description", "description", f.description)
	setString(c, b, "icon", "icon", f.icon)
	return b
}

func categoryCreate(c *cmd) runFunc {
	var f categoryFlags
	f.register(c)
	return func(ctx context.Context, _ []string) error {
		return c.object(ctx, "POST", client.Path("v1", "categories"), nil, f.body(c), categoryView())
	}
}

func categoryUpdate(c *cmd) runFunc {
	var f categoryFlags
	f.register(c)
	return func(ctx context.Context, args []string) error {
		body := f.body(c)
		if len(body) == 0 {
			return c.usageErr("nothing to change: give at least one field flag")
		}
		return c.object(ctx, "PATCH", client.Path("v1", "categories", args[0]), nil, body, categoryView())
	}
}
