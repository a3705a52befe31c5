package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/pitrix/pitrix/http/client"
)

func tokenNoun() noun {
	return noun{name: "token", summary: "API tokens", ids: tokenIDs, verbs: []verb{
		{use: "list", summary: "List a user's tokens (default: your own), without their secrets.", setup: tokenList},
		{use: "create", summary: "Create a token; its secret is shown this once.", setup: tokenCreate},
		{use: "revoke ID", summary: "Revoke a token: it stops working within 5 seconds on every node.", setup: noFlags(tokenRevoke)},
	}}
}

func tokenView() view {
	return view{col("ID"), col("NAME"), col("USER_ID"), col("SCOPE"), col("CREATED_AT"), col("EXPIRES_AT"),
		col("LAST_USED_AT")}
}

func tokenCreatedView() view {
	return view{col("ID"), col("NAME"), col("USER_ID"), col("SCOPE"), col("EXPIRES_AT"), col("TOKEN")}
}

// tokenUser is the --user of a token verb, or the caller's own id.
func tokenUser(ctx context.Context, c *cmd, user string) (string, error) {
	if user != "" {
		return user, nil
	}
	raw, err := c.call(ctx, "GET", client.Path("v1", "whoami"), nil, nil)
	if err != nil {
		return "", err
	}
	var who struct {
		UserID string `json:"user_id"`
	}
	if err := json.Unmarshal(raw, &who); err != nil || who.UserID == "" {
		return "", fmt.Errorf("decode /v1/whoami: no user_id (%v)", err)
	}
	return who.UserID, nil
}

func tokenList(c *cmd) runFunc {
	var user string
	c.fs.StringVar(&user, "user", "", "the tokens of user `ID` (default: yours; others' need admin)")
	c.completeFlag("user", listIDs("users"))
	return func(ctx context.Context, _ []string) error {
		id, err := tokenUser(ctx, c, user)
		if err != nil {
			return err
		}
		return c.list(ctx, client.Path("v1", "users", id, "tokens"), nil, tokenView())
	}
}

func tokenCreate(c *cmd) runFunc {
	var user, name, ttl, scope string
	var ttlDays int
	c.fs.StringVar(&user, "user", "", "create it for user `ID` (default: yourself; others need admin)")
	c.fs.StringVar(&name, "name", "", "token `name`")
	c.fs.StringVar(&ttl, "ttl", "", "expire after `duration` (90m, 12h, 720h; default: never)")
	c.fs.IntVar(&ttlDays, "ttl-days", 0, "expire after `days` (instead of --ttl)")
	c.fs.StringVar(&scope, "scope", "", "`scope`: read (GET only) or write (default)")
	c.completeFlag("user", listIDs("users"))
	c.completeFlag("scope", func(context.Context, *cmd, []string) ([]cobra.Completion, error) {
		return []cobra.Completion{"read", "write"}, nil
	})
	return func(ctx context.Context, _ []string) error {
		if ttlDays < 0 {
			return c.usageErr("invalid value %d for flag --ttl-days: must not be negative", ttlDays)
		}
		id, err := tokenUser(ctx, c, user)
		if err != nil {
			return err
		}
		body := map[string]any{}
		setString(c, body, "name", "name", name)
		setString(c, body, "ttl", "ttl", ttl)
		setString(c, body, "scope", "scope", scope)
		if ttlDays > 0 {
			body["ttl_days"] = ttlDays
		}
		return c.object(ctx, "POST", client.Path("v1", "users", id, "tokens"), nil, body, tokenCreatedView())
	}
}

func tokenRevoke(ctx context.Context, c *cmd, args []string) error {
	return c.remove(ctx, client.Path("v1", "tokens", args[0]), args[0])
}

// tokenIDs completes the caller's own token ids.
func tokenIDs(ctx context.Context, c *cmd, _ []string) ([]cobra.Completion, error) {
	id, err := tokenUser(ctx, c, "")
	if err != nil {
		return nil, err
	}
	return c.candidates(ctx, client.Path("v1", "users", id, "tokens"), nil, "id", "name", "scope")
}

func auditNoun() noun {
	return noun{name: "audit", summary: "the audit log of mutations (admin only)", verbs: []verb{
		{use: "list", summary: "List audit entries, newest first; --jsonl writes them as JSON lines (every page).", setup: auditList},
	}}
}

func auditLogView() view {
	return view{col("TIME"), col("USER_ID"), col("ROLE"), col("ACTION"), col("RESOURCE_ID"), col("STATUS"),
		col("REMOTE_ADDR"), col("TOKEN_ID")}
}

func auditList(c *cmd) runFunc {
	var limit, offset int
	var jsonl bool
	f := map[string]*string{}
	for _, k := range []struct{ name, usage string }{
		{"user", "only entries of user `ID`"},
		{"action", "only this `action`, method and route: \"POST /v1/repos\""},
		{"resource", "only entries about resource `ID`"},
		{"result", "only this `result`: a status class (4xx) or a status (403)"},
		{"since", "only entries at or after `time` (RFC 3339)"},
		{"until", "only entries before `time` (RFC 3339)"},
	} {
		f[k.name] = c.fs.String(k.name, "", k.usage)
	}
	c.fs.IntVar(&limit, "limit", 0, "page size, at most 200 (default: the server's, 20; with --jsonl: everything)")
	c.fs.IntVar(&offset, "offset", 0, "entries to skip")
	c.fs.BoolVar(&jsonl, "jsonl", false, "write the entries as JSON lines, one object a line")
	c.completeFlag("user", listIDs("users"))
	return func(ctx context.Context, _ []string) error {
		if limit < 0 || offset < 0 {
			return c.usageErr("--limit and --offset must not be negative")
		}
		q := url.Values{}
		for k, v := range f {
			if *v != "" {
				q.Set(k, *v)
			}
		}
		path := client.Path("v1", "audit")
		if !jsonl {
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			if offset > 0 {
				q.Set("offset", strconv.Itoa(offset))
			}
			return c.list(ctx, path, q, auditLogView())
		}
		return auditExport(ctx, c, path, q, offset, limit)
	}
}

// auditExport pages through the entries q selects and writes each as one JSON line.
func auditExport(ctx context.Context, c *cmd, path string, q url.Values, offset, limit int) error {
	const pageSize = 200
	written := 0
	for {
		n := pageSize
		if limit > 0 {
			n = min(pageSize, limit-written)
		}
		q.Set("limit", strconv.Itoa(n))
		q.Set("offset", strconv.Itoa(offset+written))
		raw, err := c.call(ctx, "GET", path, q, nil)
		if err != nil {
			return err
		}
		var p struct {
			Items []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			return fmt.Errorf("decode %s: %w", path, err)
		}
		for _, it := range p.Items {
			if _, err := fmt.Fprintf(c.out(), "%s\n", it); err != nil {
				return err
			}
		}
		written += len(p.Items)
		if len(p.Items) < n || (limit > 0 && written >= limit) {
			return nil
		}
	}
}
