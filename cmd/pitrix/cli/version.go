package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/pitrix/pitrix/http/client"
	"github.com/spf13/cobra"
)

// reviewSteps are the review transitions (API.md "Apps, versions, categories"), each
// POST /v1/app_versions/{id}/{step} {message}.
func reviewSteps() []verb {
	steps := []struct{ name, summary string }{
		{"submit", "Submit a draft (or rejected) version for review."},
		{"cancel", "Withdraw a submitted version back to draft."},
		{"pass", "Pass a submitted version (admin)."},
		{"reject", "Reject a submitted version (admin); say why with --message."},
		{"release", "Release a passed version: it becomes active."},
		{"suspend", "Suspend an active version."},
		{"recover", "Recover a suspended version to active."},
	}
	verbs := make([]verb, len(steps))
	for i, st := range steps {
		verbs[i] = verb{use: st.name + " ID", summary: st.summary, setup: reviewVerb(st.name)}
	}
	return verbs
}

func versionNoun() noun {
	verbs := []verb{
		{use: "get ID", summary: "Show an app version.", setup: getVerb("app_versions", versionView())},
		{use: "files ID", summary: "List the files of a version's package.", setup: noFlags(versionFiles)},
		{use: "file ID PATH", summary: "Print one file of a version's package (config.json, values.yaml, README.md, ...).", setup: versionFile, args: versionFileArgs},
		{use: "package ID", summary: "Download a version's package .tgz.", setup: versionPackage},
	}
	verbs = append(verbs, reviewSteps()...)
	verbs = append(verbs,
		verb{use: "audits ID", summary: "List every review step of a version.", setup: versionSubList("audits", auditView())},
		verb{use: "runtimes ID", summary: "List the runtimes a version can be deployed to.", setup: versionSubList("runtimes", runtimeView())},
		verb{use: "form ID", summary: "Show a version's deploy form: each conf key with its type, default and constraints.", setup: versionForm},
	)
	return noun{name: "version", summary: "app versions and their review", ids: versionIDs, verbs: verbs}
}

func reviewVerb(step string) func(*cmd) runFunc {
	return func(c *cmd) runFunc {
		msg := c.fs.String("message", "", "review `message`, kept in the audit trail")
		return func(ctx context.Context, args []string) error {
			return c.object(ctx, "POST", client.Path("v1", "app_versions", args[0], step), nil,
				map[string]string{"message": *msg}, versionView())
		}
	}
}

func versionSubList(sub string, v view) func(*cmd) runFunc {
	return func(c *cmd) runFunc {
		l := addListFlags(c.fs)
		return func(ctx context.Context, args []string) error {
			q, err := l.query()
			if err != nil {
				return c.usageErr("%v", err)
			}
			return c.list(ctx, client.Path("v1", "app_versions", args[0], sub), q, v)
		}
	}
}

// versionFiles lists GET /v1/app_versions/{id}/files. API.md names only the per-file path;
// the listing is this CLI's expectation of the server.
func versionFiles(ctx context.Context, c *cmd, args []string) error {
	return c.list(ctx, client.Path("v1", "app_versions", args[0], "files"), nil, fileView())
}

// versionFileArgs completes "version file ID PATH": version IDs, then the version's files.
func versionFileArgs(ctx context.Context, c *cmd, args []string) ([]cobra.Completion, error) {
	if len(args) == 0 {
		return versionIDs(ctx, c, args)
	}
	return c.candidates(ctx, client.Path("v1", "app_versions", args[0], "files"), nil, "path", "size")
}

func versionFile(c *cmd) runFunc {
	out := outputFileFlag(c)
	return func(ctx context.Context, args []string) error {
		id, name := args[0], strings.Trim(args[1], "/")
		if name == "" {
			return c.usageErr("empty PATH")
		}
		segs := append([]string{"v1", "app_versions", id, "files"}, strings.Split(name, "/")...)
		return c.download(ctx, client.Path(segs...), *out)
	}
}

func versionPackage(c *cmd) runFunc {
	out := outputFileFlag(c)
	return func(ctx context.Context, args []string) error {
		return c.download(ctx, client.Path("v1", "app_versions", args[0], "package"), *out)
	}
}

func outputFileFlag(c *cmd) *string {
	return c.fs.StringP("file", "f", "-", "write to `FILE` instead of stdout")
}

// download writes the body of GET path to stdout ("-") or to a file, which appears only
// complete: the body goes to a temporary file beside it that is renamed at the end.
func (c *cmd) download(ctx context.Context, path, dest string) error {
	api, err := c.s.client()
	if err != nil {
		return err
	}
	if dest == "-" || dest == "" {
		_, err := api.Download(ctx, path, nil, c.out())
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".*")
	if err != nil {
		return fmt.Errorf("create %s: %w", dest, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	n, err := api.Download(ctx, path, nil, tmp)
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write %s: %w", dest, cerr)
	}
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", dest, err)
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return fmt.Errorf("write %s: %w", dest, err)
	}
	if !c.s.g.json() {
		fmt.Fprintf(c.out(), "wrote %s (%d bytes)\n", dest, n)
	}
	return nil
}

// versionForm shows GET /v1/app_versions/{id}/form: the fields as a list (-o json: the form).
func versionForm(c *cmd) runFunc {
	lang := c.fs.String("lang", "en", "`language` of labels and descriptions (en or zh-CN)")
	return func(ctx context.Context, args []string) error {
		raw, err := c.call(ctx, "GET", client.Path("v1", "app_versions", args[0], "form"), url.Values{"lang": {*lang}}, nil)
		if err != nil {
			return err
		}
		if c.s.g.json() {
			return writeJSON(c.out(), raw)
		}
		var f struct {
			Fields []json.RawMessage `json:"fields"`
		}
		if err := json.Unmarshal(raw, &f); err != nil {
			return fmt.Errorf("form of %s: %w", args[0], err)
		}
		list, err := json.Marshal(map[string]any{"total_count": len(f.Fields), "items": f.Fields})
		if err != nil {
			return err
		}
		return c.showList(list, formFieldView())
	}
}
