package cli

import (
	"context"

	"github.com/pitrix/pitrix/http/client"
)

func jobNoun() noun {
	return noun{name: "job", summary: "jobs: the lifecycle actions of app clusters", ids: listIDs("jobs"), verbs: []verb{
		{use: "list", summary: "List jobs.", setup: listVerb("jobs", jobView(),
			listFilter{"cluster", "cluster_id", "only jobs of this cluster `ID`", listIDs("clusters")},
			listFilter{"status", "status", "only jobs in this `status`: pending, working, successful, failed", nil})},
		{use: "get ID", summary: "Show a job.", setup: getVerb("jobs", jobView())},
		{use: "tasks ID", summary: "List a job's tasks.", setup: noFlags(jobTasks)},
		{use: "watch ID", summary: "Follow a job until it ends; exit 1 if it fails.", setup: jobWatch},
		{use: "retry ID", summary: "Resume a failed job from its failed tasks.", setup: jobRetry},
	}}
}

func jobTasks(ctx context.Context, c *cmd, args []string) error {
	return c.list(ctx, client.Path("v1", "jobs", args[0], "tasks"), nil, taskView())
}

func jobWatch(c *cmd) runFunc {
	var w waitFlags
	w.register(c.fs, false)
	return func(ctx context.Context, args []string) error {
		return c.follow(ctx, args[0], w.timeout)
	}
}

func jobRetry(c *cmd) runFunc {
	var w waitFlags
	w.register(c.fs, true)
	return func(ctx context.Context, args []string) error {
		return c.mutate(ctx, "POST", client.Path("v1", "jobs", args[0], "retry"), nil, w)
	}
}
