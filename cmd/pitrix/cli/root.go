package cli

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// noun is a resource of the API and its verbs; it becomes `pitrix <noun>`.
type noun struct {
	name    string
	summary string
	verbs   []verb
	// ids completes the noun's IDs, the first positional argument of most verbs; nil when
	// the noun has no list to complete from.
	ids completer
}

// verb is one command of a noun, `pitrix <noun> <verb>`. use is "<verb> [ARGS...]" as shown in
// usage; its upper-case words are the positional arguments, each required. setup registers
// the verb's flags on c and returns what runs once they are parsed.
type verb struct {
	use     string
	summary string
	setup   func(c *cmd) runFunc
	// args completes the positional arguments; nil means the noun's ids for an "ID" first
	// argument, files for "FILE", and nothing else.
	args completer
}

// runFunc runs a verb with its positional arguments, exactly as many as its use names.
type runFunc func(ctx context.Context, args []string) error

func (v verb) name() string { return strings.Fields(v.use)[0] }

// catalog lists the nouns. It is built per call so no package-level state exists.
func catalog() []noun {
	return []noun{
		repoNoun(),
		appNoun(),
		versionNoun(),
		categoryNoun(),
		runtimeNoun(),
		credentialNoun(),
		providerNoun(),
		clusterNoun(),
		jobNoun(),
		adminNoun(),
		tokenNoun(),
		groupNoun(),
		roleNoun(),
		auditNoun(),
	}
}

const nounGroup = "nouns"

// orderKey is the annotation holding a noun's or verb's place in the catalog: help lists
// them in that order, cobra sorts by name.
const orderKey = "pitrix/order"

// inOrder returns the available subcommands of cc in catalog order, the others after them
// by name.
func inOrder(cc *cobra.Command) []*cobra.Command {
	var subs []*cobra.Command
	for _, sub := range cc.Commands() {
		if sub.IsAvailableCommand() || sub.Name() == "help" {
			subs = append(subs, sub)
		}
	}
	rank := func(c *cobra.Command) int {
		if n, err := strconv.Atoi(c.Annotations[orderKey]); err == nil {
			return n
		}
		return math.MaxInt
	}
	slices.SortStableFunc(subs, func(a, b *cobra.Command) int { return cmp.Compare(rank(a), rank(b)) })
	return subs
}

// rootCommand builds the command tree of one Run: the nouns with their verbs, help and the
// shell completion commands. Errors are printed by Run, never by cobra.
func (s *session) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "pitrix",
		Short:         "The pitrix command line calls a Pitrix server's REST API.",
		Args:          cobra.ArbitraryArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cc *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{msg: "missing command", usage: rootHelp(cc)}
			}
			return &usageError{msg: fmt.Sprintf("unknown command %q", args[0]) + suggest(cc, args[0]), usage: rootHelp(cc)}
		},
		ValidArgsFunction: cobra.NoFileCompletions,
		// An unknown word is reported as an unknown command even when flags follow it.
		FParseErrWhitelist: cobra.FParseErrWhitelist{UnknownFlags: true},
	}
	root.SetIn(s.env.Stdin)
	root.SetOut(s.env.Stdout)
	root.SetErr(s.env.Stderr)
	root.SetHelpFunc(func(cc *cobra.Command, _ []string) { fmt.Fprint(cc.OutOrStdout(), helpText(cc)) })
	root.SetUsageFunc(func(cc *cobra.Command) error { _, err := fmt.Fprint(cc.ErrOrStderr(), shortUsage(cc)); return err })
	root.SetFlagErrorFunc(func(cc *cobra.Command, err error) error {
		return &usageError{msg: cc.CommandPath() + ": " + err.Error(), usage: shortUsage(cc)}
	})
	root.SetHelpCommand(s.helpCommand())
	root.AddGroup(&cobra.Group{ID: nounGroup, Title: "Nouns:"})
	s.g.register(root)
	s.flagCompletion(root, "output", cobra.FixedCompletions([]cobra.Completion{"table", "json"}, cobra.ShellCompDirectiveNoFileComp))
	s.flagCompletion(root, "server", cobra.NoFileCompletions)
	s.flagCompletion(root, "token", cobra.NoFileCompletions)
	if s.completing {
		root.PersistentFlags().VisitAll(plainUsage)
	}
	for i, n := range catalog() {
		nc := s.nounCommand(n)
		nc.Annotations = map[string]string{orderKey: fmt.Sprint(i)}
		root.AddCommand(nc)
	}
	// Cobra would add `completion` when executing; added now, a missing or unknown shell and
	// stray arguments become usage errors like everyone else's.
	root.InitDefaultCompletionCmd()
	for _, cc := range root.Commands() {
		if cc.Name() == "completion" {
			cc.Args, cc.RunE = cobra.ArbitraryArgs, missingVerb
			usageArgs(cc)
		}
	}
	return root
}

// usageArgs makes the argument errors of cc and its subcommands usage errors (exit 2).
func usageArgs(cc *cobra.Command) {
	if check := cc.Args; check != nil {
		cc.Args = func(c *cobra.Command, args []string) error {
			if err := check(c, args); err != nil {
				return &usageError{msg: c.CommandPath() + ": " + err.Error(), usage: shortUsage(c)}
			}
			return nil
		}
	}
	for _, sub := range cc.Commands() {
		usageArgs(sub)
	}
}

// suggest is cobra's "did you mean" for an unknown command name, or "".
func suggest(parent *cobra.Command, name string) string {
	if parent.SuggestionsMinimumDistance <= 0 {
		parent.SuggestionsMinimumDistance = 2 // cobra's default, applied only by its own Find
	}
	sugs := parent.SuggestionsFor(name)
	if len(sugs) == 0 {
		return ""
	}
	return "\n\nDid you mean this?\n\t" + strings.Join(sugs, "\n\t")
}

func (s *session) nounCommand(n noun) *cobra.Command {
	nc := &cobra.Command{
		Use:               n.name,
		Short:             n.summary,
		GroupID:           nounGroup,
		Args:              cobra.ArbitraryArgs,
		RunE:              missingVerb,
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	for i, v := range n.verbs {
		vc := s.verbCommand(n, v)
		vc.Annotations = map[string]string{orderKey: fmt.Sprint(i)}
		nc.AddCommand(vc)
	}
	return nc
}

// missingVerb runs a noun given without a verb, or with an unknown one.
func missingVerb(cc *cobra.Command, args []string) error {
	if len(args) == 0 {
		return &usageError{msg: cc.CommandPath() + ": missing verb", usage: helpText(cc)}
	}
	return &usageError{msg: fmt.Sprintf("%s: unknown verb %q", cc.CommandPath(), args[0]) + suggest(cc, args[0]), usage: helpText(cc)}
}

func (s *session) verbCommand(n noun, v verb) *cobra.Command {
	cc := &cobra.Command{Use: v.use, Short: v.summary}
	c := &cmd{s: s, cc: cc, fs: cc.Flags()}
	run := v.setup(c)
	cc.Args = func(_ *cobra.Command, args []string) error { return c.checkArgs(args) }
	cc.RunE = func(cc *cobra.Command, args []string) error {
		if err := s.g.check(); err != nil {
			return c.usageErr("%v", err)
		}
		return run(cc.Context(), args)
	}
	complete := v.args
	if complete == nil {
		complete = defaultArgs(c.positional(), n.ids)
	}
	cc.ValidArgsFunction = s.completeArgs(c, complete)
	s.completeFlags(c)
	return cc
}

// helpCommand answers "pitrix help [noun [verb]]".
func (s *session) helpCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "help [noun [verb]]",
		Short: "This text, or a noun's or verb's help.",
		Args:  cobra.ArbitraryArgs,
		RunE: func(hc *cobra.Command, args []string) error {
			root := hc.Root()
			if len(args) == 0 {
				return root.Help()
			}
			target, rest, err := root.Find(args)
			if err != nil || target == root {
				return &usageError{msg: fmt.Sprintf("help: unknown command %q", args[0]) + suggest(root, args[0]), usage: rootHelp(root)}
			}
			if target.DisableFlagParsing {
				// server, frontgate and drone parse their own flags and print their own help.
				return target.RunE(target, []string{"--help"})
			}
			if len(rest) > 0 {
				return &usageError{msg: fmt.Sprintf("help: %s: unknown verb %q", target.CommandPath(), rest[0]) + suggest(target, rest[0]), usage: helpText(target)}
			}
			return target.Help()
		},
		ValidArgsFunction: func(hc *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			parent := hc.Root()
			if len(args) > 0 {
				found, rest, err := parent.Find(args)
				if err != nil || found == parent || len(rest) > 0 || len(args) > 1 {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				parent = found
			}
			var out []cobra.Completion
			for _, sub := range parent.Commands() {
				if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
					out = append(out, cobra.CompletionWithDesc(sub.Name(), sub.Short))
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
	}
}
