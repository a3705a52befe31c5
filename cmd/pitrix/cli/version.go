package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pitrix/pitrix/http/client"
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
		verbs[i] = verb{use: st.name + " ID", summary: st.summary, run: reviewVerb(st.name)}
	}
	return verbs
}

func versionNoun() noun {
	verbs := []verb{
		{use: "get ID", summary: "Show an app version.", run: getVerb("app_versions", versionView())},
		{use: "files ID", summary: "List the files of a version's package.", run: versionFiles},
		{use: "file ID PATH", summary: "Print one file of a version's package (config.json, values.yaml, README.md, ...).", run: versionFile},
		{use: "package ID", summary: "Download a version's package .tgz.", run: versionPackage},
	}
	verbs = append(verbs, reviewSteps()...)
	verbs = append(verbs,
		verb{use: "audits ID", summary: "List every review step of a version.", run: versionSubList("audits", auditView())},
		verb{use: "runtimes ID", summary: "List the runtimes a version can be deployed to.", run: versionSubList("runtimes", runtimeView())},
	)
	return noun{name: "version", summary: "app versions and their review", verbs: verbs}
}

func reviewVerb(step string) func(context.Context, *cmd) error {
	return func(ctx context.Context, c *cmd) error {
		msg := c.fs.String("message", "", "review `message`, kept in the audit trail")
		id, err := c.id()
		if err != nil {
			return err
		}
		return c.object(ctx, "POST", client.Path("v1", "app_versions", id, step), nil,
			map[string]string{"message": *msg}, versionView())
	}
}

func versionSubList(sub string, v view) func(context.Context, *cmd) error {
	return func(ctx context.Context, c *cmd) error {
		l := addListFlags(c.fs)
		id, err := c.id()
		if err != nil {
			return err
		}
		q, err := l.query()
		if err != nil {
			return c.usageErr("%v", err)
		}
		return c.list(ctx, client.Path("v1", "app_versions", id, sub), q, v)
	}
}

// versionFiles lists GET /v1/app_versions/{id}/files. API.md names only the per-file path;
// the listing is this CLI's expectation of the server.
func versionFiles(ctx context.Context, c *cmd) error {
	id, err := c.id()
	if err != nil {
		return err
	}
	return c.list(ctx, client.Path("v1", "app_versions", id, "files"), nil, fileView())
}

func versionFile(ctx context.Context, c *cmd) error {
	out := outputFileFlag(c)
	pos, err := c.parse()
	if err != nil {
		return err
	}
	id, name := pos[0], strings.Trim(pos[1], "/")
	if name == "" {
		return c.usageErr("empty PATH")
	}
	segs := append([]string{"v1", "app_versions", id, "files"}, strings.Split(name, "/")...)
	return c.download(ctx, client.Path(segs...), *out)
}

func versionPackage(ctx context.Context, c *cmd) error {
	out := outputFileFlag(c)
	id, err := c.id()
	if err != nil {
		return err
	}
	return c.download(ctx, client.Path("v1", "app_versions", id, "package"), *out)
}

func outputFileFlag(c *cmd) *string {
	return c.fs.String("f", "-", "write to `FILE` instead of stdout")
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
