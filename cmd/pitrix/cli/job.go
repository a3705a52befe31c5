package cli

import (
	"context"

	"github.com/pitrix/pitrix/http/client"
)

func jobNoun() noun {
	return noun{name: "job", summary: "jobs: the lifecycle actions of app clusters", verbs: []verb{
		{use: "list", summary: "List jobs.", run: listVerb("jobs", jobView(),
			[3]string{"cluster", "cluster_id", "only jobs of this cluster `ID`"},
			[3]string{"status", "status", "only jobs in this `status`: pending, working, successful, failed"})},
		{use: "get ID", summary: "Show a job.", run: getVerb("jobs", jobView())},
		{use: "tasks ID", summary: "List a job's tasks.", run: jobTasks},
		{use: "watch ID", summary: "Follow a job until it ends; exit 1 if it fails.", run: jobWatch},
		{use: "retry ID", summary: "Resume a failed job from its failed tasks.", run: jobRetry},
	}}
}

func jobTasks(ctx context.Context, c *cmd) error {
	id, err := c.id()
	if err != nil {
		return err
	}
	return c.list(ctx, client.Path("v1", "jobs", id, "tasks"), nil, taskView())
}

func jobWatch(ctx context.Context, c *cmd) error {
	var w waitFlags
	w.register(c.fs, false)
	id, err := c.id()
	if err != nil {
		return err
	}
	return c.follow(ctx, id, w.timeout)
}

func jobRetry(ctx context.Context, c *cmd) error {
	var w waitFlags
	w.register(c.fs, true)
	id, err := c.id()
	if err != nil {
		return err
	}
	return c.mutate(ctx, "POST", client.Path("v1", "jobs", id, "retry"), nil, w)
}
