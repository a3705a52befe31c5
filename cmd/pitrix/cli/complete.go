package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/pitrix/pitrix/http/client"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Shell completion: cobra completes nouns, verbs and flag names; the functions here complete
// the values, IDs above all, by calling the API's list endpoints with the session's server and
// token (flags, env twins, config file, as for any call). A server that is down or refuses
// makes completion offer nothing rather than print an error into the shell.

// completer lists the candidates of one value. args are the verb's positional arguments typed
// before it (for a flag, all of them).
type completer func(ctx context.Context, c *cmd, args []string) ([]cobra.Completion, error)

// completionTimeout bounds the API calls of one completion: a shell waits for them.
const completionTimeout = 5 * time.Second

// maxCompletions is how many items one list call asks for: the API's largest page.
const maxCompletions = 200

// defaultArgs completes the first positional argument "ID" with the noun's IDs.
func defaultArgs(positional []string, ids completer) completer {
	if ids == nil || len(positional) == 0 || positional[0] != "ID" {
		return nil
	}
	return func(ctx context.Context, c *cmd, args []string) ([]cobra.Completion, error) {
		if len(args) != 0 {
			return nil, nil
		}
		return ids(ctx, c, args)
	}
}

// completeArgs is a verb's ValidArgsFunction: files for a FILE argument, comp for the others.
func (s *session) completeArgs(c *cmd, comp completer) cobra.CompletionFunc {
	return func(cc *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		pos := c.positional()
		switch {
		case len(args) >= len(pos):
			return nil, cobra.ShellCompDirectiveNoFileComp
		case pos[len(args)] == "FILE":
			return nil, cobra.ShellCompDirectiveDefault
		case comp == nil:
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return runCompleter(cc.Context(), c, comp, args, toComplete)
	}
}

func runCompleter(ctx context.Context, c *cmd, comp completer, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	ctx, cancel := context.WithTimeout(ctx, completionTimeout)
	defer cancel()
	all, err := comp(ctx, c, args)
	if err != nil {
		cobra.CompDebugln(fmt.Sprintf("complete %s: %v", c.cc.CommandPath(), err), false)
		return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
	}
	var out []cobra.Completion
	for _, cand := range all {
		if value, _, _ := strings.Cut(cand, "\t"); strings.HasPrefix(value, toComplete) {
			out = append(out, cand)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeFlag registers comp as the completion of the flag name of c.
func (c *cmd) completeFlag(name string, comp completer) {
	c.s.flagCompletion(c.cc, name, func(cc *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return runCompleter(cc.Context(), c, comp, args, toComplete)
	})
}

// flagIDs are the flags that name an object of a collection the same way in every verb that
// has them. Flags whose meaning differs by verb (--credential, --node) are registered by their
// verbs.
func flagIDs() map[string]completer {
	return map[string]completer{
		"runtime":  listIDs("runtimes"),
		"app":      listIDs("apps"),
		"repo":     listIDs("repos"),
		"category": listIDs("categories"),
		"cluster":  listIDs("clusters"),
		"version":  versionIDs,
		"provider": providerNames,
	}
}

// flagCompletion registers f as the completion of cc's flag name when this Run answers a
// completion request. Cobra keeps these in a process-wide table that is never emptied, so a
// Run that only runs a command registers none.
func (s *session) flagCompletion(cc *cobra.Command, name string, f cobra.CompletionFunc) {
	if s.completing {
		_ = cc.RegisterFlagCompletionFunc(name, f)
	}
}

// completeFlags registers the completion of the verb's flags its setup left without one: IDs
// for the flags of flagIDs, files for flags whose value is a FILE, nothing for the others.
func (s *session) completeFlags(c *cmd) {
	if !s.completing {
		return
	}
	ids := flagIDs()
	c.fs.VisitAll(func(f *pflag.Flag) {
		name, _ := pflag.UnquoteUsage(f)
		plainUsage(f)
		if _, ok := c.cc.GetFlagCompletionFunc(f.Name); ok || f.NoOptDefVal != "" {
			return
		}
		if comp, ok := ids[f.Name]; ok {
			c.completeFlag(f.Name, comp)
			return
		}
		if name == "FILE" {
			return
		}
		c.s.flagCompletion(c.cc, f.Name, cobra.NoFileCompletions)
	})
}

// plainUsage drops the back quotes around the value name in f's usage: shells show the usage
// as the flag's description. Help, which reads them, is not shown in a completion request.
func plainUsage(f *pflag.Flag) { f.Usage = strings.ReplaceAll(f.Usage, "`", "") }

// listIDs completes the IDs of GET /v1/<collection>, each described by its name.
func listIDs(collection string) completer {
	return func(ctx context.Context, c *cmd, _ []string) ([]cobra.Completion, error) {
		return c.candidates(ctx, client.Path("v1", collection), page(), "id", "name")
	}
}

// versionIDs completes app version IDs: the versions of the app given with --app, else of
// the cluster a cluster verb names, else every app's latest version.
func versionIDs(ctx context.Context, c *cmd, args []string) ([]cobra.Completion, error) {
	appID := ""
	if f := c.fs.Lookup("app"); f != nil {
		appID = f.Value.String()
	}
	if appID == "" && len(args) > 0 && c.cc.Parent() != nil && c.cc.Parent().Name() == "cluster" {
		raw, err := c.call(ctx, "GET", clusterPath(args[0]), nil, nil)
		if err != nil {
			return nil, err
		}
		var cl struct {
			AppID string `json:"app_id"`
		}
		if err := json.Unmarshal(raw, &cl); err != nil {
			return nil, fmt.Errorf("decode cluster %q: %w", args[0], err)
		}
		appID = cl.AppID
	}
	if appID != "" {
		return c.candidates(ctx, client.Path("v1", "apps", appID, "versions"), page(), "id", "name", "status")
	}
	return c.candidates(ctx, client.Path("v1", "apps"), page(), "latest_version_id", "name")
}

// providerNames completes runtime provider names, described by their app type.
func providerNames(ctx context.Context, c *cmd, _ []string) ([]cobra.Completion, error) {
	return c.candidates(ctx, client.Path("v1", "providers"), nil, "name", "app_type")
}

// page asks a paged list for its largest page.
func page() url.Values { return url.Values{"limit": {fmt.Sprint(maxCompletions)}} }

// candidates lists path (a paged list or a bare array) and returns each item's field value,
// described by its describe fields, skipping items without value.
func (c *cmd) candidates(ctx context.Context, path string, q url.Values, value string, describe ...string) ([]cobra.Completion, error) {
	raw, err := c.call(ctx, "GET", path, q, nil)
	if err != nil {
		return nil, err
	}
	items, err := listItems(raw)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	var out []cobra.Completion
	for _, it := range items {
		v, _ := it[value].(string)
		if v == "" {
			continue
		}
		var desc []string
		for _, d := range describe {
			if s := cellText(it[d]); s != "" && s != "-" {
				desc = append(desc, s)
			}
		}
		if len(desc) == 0 {
			out = append(out, v)
			continue
		}
		out = append(out, cobra.CompletionWithDesc(v, strings.Join(desc, " ")))
	}
	return out, nil
}

// listItems returns the objects of a list answer: {"items": [...]} or a bare array.
func listItems(raw json.RawMessage) ([]map[string]any, error) {
	var page struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(raw, &page); err == nil {
		return page.Items, nil
	}
	var items []map[string]any
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, err
	}
	return items, nil
}
