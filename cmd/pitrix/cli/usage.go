package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/pitrix/pitrix/http/client"
	"github.com/spf13/cobra"
)

// helpText is the help of any command of the tree: the root's lists the nouns, a noun's (or
// any command with subcommands) its verbs, a verb's its flags.
func helpText(cc *cobra.Command) string {
	switch {
	case !cc.HasParent():
		return rootHelp(cc)
	case cc.HasAvailableSubCommands():
		return nounHelp(cc)
	}
	return verbHelp(cc)
}

func rootHelp(root *cobra.Command) string {
	var b strings.Builder
	b.WriteString("Usage: pitrix <noun> <verb> [flags]\n\n")
	b.WriteString(root.Short + "\n\nNouns:\n")
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	var others []*cobra.Command
	for _, n := range inOrder(root) {
		if n.GroupID != nounGroup {
			others = append(others, n)
			continue
		}
		var names []string
		for _, v := range inOrder(n) {
			names = append(names, v.Name())
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", n.Name(), n.Short, strings.Join(names, "|"))
	}
	tw.Flush()
	if len(others) > 0 {
		b.WriteString("\nOther commands:\n")
		for _, o := range others {
			fmt.Fprintf(tw, "  %s\t%s\n", o.Name(), o.Short)
		}
		tw.Flush()
	}
	fmt.Fprintf(&b, `
Global flags (before the noun or after the verb):
  --server URL       API server (env PITRIX_SERVER, else server= in ~/.config/pitrix/config,
                     default %s)
  --token TOKEN      bearer token (env PITRIX_TOKEN, else token= in ~/.config/pitrix/config)
  -o, --output FMT   output format: table or json (default table)

Run 'pitrix <noun> --help' for a noun's verbs and 'pitrix <noun> <verb> --help' for its flags.
Run 'pitrix completion bash|zsh|fish --help' to complete nouns, verbs, flags and IDs in a shell.
`, client.DefaultServer)
	return b.String()
}

func nounHelp(nc *cobra.Command) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s <verb> [flags]\n\n%s.\n\nVerbs:\n", nc.CommandPath(), capitalize(strings.TrimSuffix(nc.Short, ".")))
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, v := range inOrder(nc) {
		fmt.Fprintf(tw, "  %s\t%s\n", v.Use, v.Short)
	}
	tw.Flush()
	fmt.Fprintf(&b, "\nRun '%s <verb> --help' for a verb's flags.\n", nc.CommandPath())
	return b.String()
}

func verbHelp(vc *cobra.Command) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s\n\n%s\n", vc.UseLine(), firstNonEmpty(vc.Long, vc.Short))
	if fs := vc.LocalNonPersistentFlags(); fs.HasAvailableFlags() {
		fmt.Fprintf(&b, "\nFlags:\n%s", fs.FlagUsages())
	}
	b.WriteString("\nGlobal flags: --server URL, --token TOKEN, -o table|json (see 'pitrix help').\n")
	return b.String()
}

// shortUsage follows a usage error: the command's use line and where to find more.
func shortUsage(cc *cobra.Command) string {
	if !cc.HasParent() {
		return rootHelp(cc)
	}
	if cc.HasAvailableSubCommands() {
		return nounHelp(cc)
	}
	return fmt.Sprintf("Usage: %s\nRun '%s --help' for the flags.\n", cc.UseLine(), cc.CommandPath())
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
