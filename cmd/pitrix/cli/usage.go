package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/pitrix/pitrix/http/client"
)

func mainUsage() string {
	var b strings.Builder
	b.WriteString("Usage: pitrix <noun> <verb> [flags]\n\n")
	b.WriteString("The pitrix command line calls a Pitrix server's REST API.\n\nNouns:\n")
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, n := range catalog() {
		names := make([]string, len(n.verbs))
		for i, v := range n.verbs {
			names[i] = v.name()
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", n.name, n.summary, strings.Join(names, "|"))
	}
	fmt.Fprintf(tw, "  help\tthis text, or a noun's or verb's\thelp [noun [verb]]\n")
	tw.Flush()
	fmt.Fprintf(&b, `
Global flags (before the noun or after the verb):
  --server URL    API server (env PITRIX_SERVER, else server= in ~/.config/pitrix/config,
                  default %s)
  --token TOKEN   bearer token (env PITRIX_TOKEN, else token= in ~/.config/pitrix/config)
  -o table|json   output format (default table)

Run 'pitrix <noun> --help' for a noun's verbs and 'pitrix <noun> <verb> --help' for its flags.
The server and edge agents are 'pitrix server', 'pitrix frontgate' and 'pitrix drone'.
`, client.DefaultServer)
	return b.String()
}

func (n noun) usage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: pitrix %s <verb> [flags]\n\n%s.\n\nVerbs:\n", n.name, capitalize(n.summary))
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, v := range n.verbs {
		fmt.Fprintf(tw, "  %s\t%s\n", v.use, v.summary)
	}
	tw.Flush()
	fmt.Fprintf(&b, "\nRun 'pitrix %s <verb> --help' for a verb's flags.\n", n.name)
	return b.String()
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
