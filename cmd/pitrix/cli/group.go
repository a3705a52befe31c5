package cli

import (
	"context"

	"github.com/pitrix/pitrix/http/client"
)

func groupNoun() noun {
	return noun{name: "group", summary: "groups of users a private repo is shared with", ids: listIDs("groups"), verbs: []verb{
		{use: "list", summary: "List the groups you own or belong to (all, for an admin).", setup: listVerb("groups", groupView(),
			listFilter{name: "owner", key: "owner", usage: "only groups owned by user `ID`"},
			listFilter{name: "member", key: "member", usage: "only groups with member `ID`"})},
		{use: "get ID", summary: "Show a group with its members.", setup: getVerb("groups", groupView())},
		{use: "create", summary: "Create a group you own; share a repo with it by `repo update ID --group GROUP`.", setup: groupCreate},
		{use: "delete ID", summary: "Delete a group (its owner or an admin).", setup: deleteVerb("groups")},
		{use: "add-member ID USER_ID", summary: "Add a user to a group (its owner or an admin).", setup: noFlags(groupAddMember)},
		{use: "remove-member ID USER_ID", summary: "Take a user out of a group (its owner or an admin).", setup: noFlags(groupRemoveMember)},
	}}
}

func groupView() view {
	return view{col("ID"), col("NAME"), col("OWNER"), col("MEMBERS"), col("CREATED_AT")}
}

func groupCreate(c *cmd) runFunc {
	var name, description string
	var members listFlag
	c.fs.StringVar(&name, "name", "", "group `name`")
	c.fs.StringVar(&description, "description", "", "description `text`")
	c.fs.Var(&members, "member", "member user `ID` (repeatable)")
	c.completeFlag("member", listIDs("users"))
	return func(ctx context.Context, _ []string) error {
		b := map[string]any{}
		setString(c, b, "name", "name", name)
		setString(c, b, "description", "description", description)
		if c.given("member") {
			b["members"] = []string(members)
		}
		return c.object(ctx, "POST", client.Path("v1", "groups"), nil, b, groupView())
	}
}

func groupAddMember(ctx context.Context, c *cmd, args []string) error {
	return c.object(ctx, "POST", client.Path("v1", "groups", args[0], "members"), nil, map[string]any{"user_id": args[1]}, groupView())
}

func groupRemoveMember(ctx context.Context, c *cmd, args []string) error {
	return c.object(ctx, "DELETE", client.Path("v1", "groups", args[0], "members", args[1]), nil, nil, groupView())
}

func roleNoun() noun {
	return noun{name: "role", summary: "the roles and what each may do", verbs: []verb{
		{use: "list", summary: "List the roles (-o json: with every action each may take).", setup: noFlags(roleList)},
	}}
}

func roleView() view {
	return view{col("NAME"), col("DESCRIPTION")}
}

func roleList(ctx context.Context, c *cmd, _ []string) error {
	return c.list(ctx, client.Path("v1", "roles"), nil, roleView())
}
