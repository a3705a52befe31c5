package authz

import (
	"fmt"
	"strings"
)

// Markdown renders the table as the Markdown table of docs/roles.md (a test keeps them equal).
func Markdown() string {
	var b strings.Builder
	b.WriteString("| action | route | admin | isv | developer | user | scope | also checked |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, r := range table {
		cells := make([]string, 0, 4)
		for _, role := range Roles() {
			switch {
			case r.Public:
				cells = append(cells, "public")
			case r.Allows(role):
				cells = append(cells, "yes")
			default:
				cells = append(cells, "—")
			}
		}
		fmt.Fprintf(&b, "| `%s` | `%s %s` | %s | %s | %s |\n", r.Action, r.Method, r.Path, strings.Join(cells, " | "), r.Scope,
			strings.ReplaceAll(r.Note, "|", "\\|"))
	}
	return b.String()
}
