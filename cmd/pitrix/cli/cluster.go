package cli

import (
	"context"

	"github.com/pitrix/pitrix/http/client"
	"github.com/spf13/cobra"
)

func clusterNoun() noun {
	return noun{name: "cluster", summary: "app clusters: deployed app versions", ids: listIDs("clusters"), verbs: []verb{
		{use: "create", summary: "Deploy an app version on a runtime; prints the job (--wait follows it).", setup: clusterCreate},
		{use: "list", summary: "List app clusters.", setup: listVerb("clusters", clusterView(),
			listFilter{"runtime", "runtime_id", "only clusters on this runtime `ID`", listIDs("runtimes")},
			listFilter{"app", "app_id", "only clusters of this app `ID`", listIDs("apps")},
			listFilter{"status", "status", "only clusters in this `status`: pending, active, stopped, failed, deleted, ceased", nil})},
		{use: "get ID", summary: "Show an app cluster.", setup: getVerb("clusters", clusterView())},
		{use: "nodes ID", summary: "List an app cluster's nodes.", setup: noFlags(clusterNodes)},
		{use: "start ID", summary: "Start a stopped cluster.", setup: clusterSimple("start")},
		{use: "stop ID", summary: "Stop a cluster.", setup: clusterSimple("stop")},
		{use: "scale-out ID", summary: "Add --count nodes of --role.", setup: clusterScaleOut},
		{use: "scale-in ID", summary: "Remove the nodes given with --node.", setup: clusterScaleIn},
		{use: "resize ID", summary: "Change the CPU, memory or volume of a role's nodes.", setup: clusterResize},
		{use: "update-env ID", summary: "Set environment values (--set k=v, or --env FILE of JSON or YAML).", setup: clusterUpdateEnv},
		{use: "upgrade ID", summary: "Upgrade to another version and/or new conf.", setup: clusterUpgrade},
		{use: "rollback ID", summary: "Roll back to a revision (default the previous one).", setup: clusterRollback},
		{use: "restart ID", summary: "Restart a VM app's services.", setup: clusterSimple("restart")},
		{use: "run-service ID", summary: "Run a VM app's custom service given with --service.", setup: clusterService},
		{use: "recover ID", summary: "Recover a deleted cluster.", setup: clusterSimple("recover")},
		{use: "delete ID", summary: "Delete a cluster's resources; the record stays as deleted (--force skips failing stop and destroy commands).", setup: clusterDelete},
		{use: "cease ID", summary: "Purge a deleted cluster (--force skips failing commands).", setup: clusterCease},
	}}
}

func clusterPath(id string, action ...string) string {
	return client.Path(append([]string{"v1", "clusters", id}, action...)...)
}

func clusterCreate(c *cmd) runFunc {
	var name, description, version, app, rt, confFile string
	var sets setFlag
	var w waitFlags
	c.fs.StringVar(&name, "name", "", "cluster `name`")
	c.fs.StringVar(&description, "description", "", "description `text`")
	c.fs.StringVar(&version, "version", "", "app version `ID` to deploy (appv-...)")
	c.fs.StringVar(&app, "app", "", "app `ID` (optional: the version's app)")
	c.fs.StringVar(&rt, "runtime", "", "runtime `ID` to deploy on")
	c.fs.StringVar(&confFile, "conf", "", "conf `FILE` of JSON or YAML (- reads stdin): config.json keys for VM apps, values for Helm")
	c.fs.Var(&sets, "set", "conf value `key.path=value` merged over --conf; JSON scalars as such, else strings (repeatable)")
	w.register(c.fs, true)
	return func(ctx context.Context, _ []string) error {
		for _, req := range [][2]string{{"name", name}, {"version", version}, {"runtime", rt}} {
			if req[1] == "" {
				return c.usageErr("--%s is required", req[0])
			}
		}
		conf, err := c.confBody(confFile, sets)
		if err != nil {
			return err
		}
		body := map[string]any{"name": name, "version_id": version, "runtime_id": rt}
		setString(c, body, "description", "description", description)
		setString(c, body, "app", "app_id", app)
		if conf != nil {
			body["conf"] = conf
		}
		return c.mutate(ctx, "POST", client.Path("v1", "clusters"), body, w)
	}
}

func clusterNodes(ctx context.Context, c *cmd, args []string) error {
	return c.list(ctx, clusterPath(args[0], "nodes"), nil, clusterNodeView())
}

// clusterNodeIDs completes the node IDs of the cluster named by the first argument.
func clusterNodeIDs(ctx context.Context, c *cmd, args []string) ([]cobra.Completion, error) {
	if len(args) == 0 {
		return nil, nil
	}
	return c.candidates(ctx, clusterPath(args[0], "nodes"), nil, "id", "role", "status")
}

// clusterSimple is an action that takes no fields: start, stop, restart, recover, cease.
func clusterSimple(action string) func(*cmd) runFunc {
	return func(c *cmd) runFunc {
		var w waitFlags
		w.register(c.fs, true)
		return func(ctx context.Context, args []string) error {
			return c.mutate(ctx, "POST", clusterPath(args[0], action), nil, w)
		}
	}
}

func clusterDelete(c *cmd) runFunc {
	var w waitFlags
	force := c.fs.Bool("force", false, "skip the app's stop and destroy commands that fail (each is recorded as a skipped task) and remove the instances anyway")
	w.register(c.fs, true)
	return func(ctx context.Context, args []string) error {
		var body any
		if *force {
			body = map[string]any{"force": true}
		}
		return c.mutate(ctx, "DELETE", clusterPath(args[0]), body, w)
	}
}

func clusterCease(c *cmd) runFunc {
	var w waitFlags
	force := c.fs.Bool("force", false, "skip the app's stop and destroy commands that fail (each is recorded as a skipped task)")
	w.register(c.fs, true)
	return func(ctx context.Context, args []string) error {
		var body any
		if *force {
			body = map[string]any{"force": true}
		}
		return c.mutate(ctx, "POST", clusterPath(args[0], "cease"), body, w)
	}
}

func clusterScaleOut(c *cmd) runFunc {
	var w waitFlags
	role := c.fs.String("role", "", "`role` to add nodes to")
	count := c.fs.Int("count", 0, "how many `N`odes to add")
	w.register(c.fs, true)
	return func(ctx context.Context, args []string) error {
		if *role == "" {
			return c.usageErr("--role is required")
		}
		if *count < 1 {
			return c.usageErr("--count must be at least 1")
		}
		return c.mutate(ctx, "POST", clusterPath(args[0], "add_nodes"), map[string]any{"role": *role, "count": *count}, w)
	}
}

func clusterScaleIn(c *cmd) runFunc {
	var w waitFlags
	var nodes listFlag
	c.fs.Var(&nodes, "node", "node `ID` to remove (repeatable)")
	c.completeFlag("node", clusterNodeIDs)
	w.register(c.fs, true)
	return func(ctx context.Context, args []string) error {
		if len(nodes) == 0 {
			return c.usageErr("give the nodes to remove with --node")
		}
		return c.mutate(ctx, "POST", clusterPath(args[0], "delete_nodes"), map[string]any{"node_ids": []string(nodes)}, w)
	}
}

func clusterResize(c *cmd) runFunc {
	var w waitFlags
	role := c.fs.String("role", "", "`role` to resize")
	cpu := c.fs.Int("cpu", 0, "CPU cores `N` per node")
	memory := c.fs.Int("memory", 0, "memory `MiB` per node")
	volume := c.fs.Int("volume-size", 0, "volume size `GiB` per node")
	w.register(c.fs, true)
	return func(ctx context.Context, args []string) error {
		if *role == "" {
			return c.usageErr("--role is required")
		}
		r := map[string]any{"role": *role}
		for _, f := range []struct {
			flag, key string
			v         int
		}{{"cpu", "cpu", *cpu}, {"memory", "memory", *memory}, {"volume-size", "volume_size", *volume}} {
			if c.given(f.flag) {
				if f.v < 1 {
					return c.usageErr("--%s must be at least 1", f.flag)
				}
				r[f.key] = f.v
			}
		}
		if len(r) == 1 {
			return c.usageErr("give at least one of --cpu, --memory, --volume-size")
		}
		return c.mutate(ctx, "POST", clusterPath(args[0], "resize"), map[string]any{"roles": []any{r}}, w)
	}
}

func clusterUpdateEnv(c *cmd) runFunc {
	var w waitFlags
	var sets setFlag
	envFile := c.fs.String("env", "", "environment `FILE` of JSON or YAML (- reads stdin)")
	c.fs.Var(&sets, "set", "environment value `key=value`, dotted keys nest; JSON scalars as such, else strings (repeatable)")
	w.register(c.fs, true)
	return func(ctx context.Context, args []string) error {
		env, err := c.confBody(*envFile, sets)
		if err != nil {
			return err
		}
		if env == nil {
			return c.usageErr("give the environment with --set key=value or --env FILE")
		}
		return c.mutate(ctx, "POST", clusterPath(args[0], "update_env"), map[string]any{"env": env}, w)
	}
}

func clusterUpgrade(c *cmd) runFunc {
	var w waitFlags
	var sets setFlag
	version := c.fs.String("version", "", "app version `ID` to move to")
	confFile := c.fs.String("conf", "", "new conf `FILE` of JSON or YAML (- reads stdin)")
	c.fs.Var(&sets, "set", "conf value `key.path=value` merged over --conf (repeatable)")
	w.register(c.fs, true)
	return func(ctx context.Context, args []string) error {
		conf, err := c.confBody(*confFile, sets)
		if err != nil {
			return err
		}
		body := map[string]any{}
		setString(c, body, "version", "version_id", *version)
		if conf != nil {
			body["conf"] = conf
		}
		if len(body) == 0 {
			return c.usageErr("give --version, --conf or --set")
		}
		return c.mutate(ctx, "POST", clusterPath(args[0], "upgrade"), body, w)
	}
}

func clusterRollback(c *cmd) runFunc {
	var w waitFlags
	revision := c.fs.Int("revision", 0, "`revision` to return to (default the previous one)")
	w.register(c.fs, true)
	return func(ctx context.Context, args []string) error {
		var body any
		if c.given("revision") {
			if *revision < 1 {
				return c.usageErr("--revision must be at least 1")
			}
			body = map[string]any{"revision": *revision}
		}
		return c.mutate(ctx, "POST", clusterPath(args[0], "rollback"), body, w)
	}
}

func clusterService(c *cmd) runFunc {
	var w waitFlags
	service := c.fs.String("service", "", "the custom service's `name` (from the app's cluster.json services)")
	w.register(c.fs, true)
	return func(ctx context.Context, args []string) error {
		if *service == "" {
			return c.usageErr("--service is required")
		}
		return c.mutate(ctx, "POST", clusterPath(args[0], "service"), map[string]any{"service": *service}, w)
	}
}
