// Command pitrix is the control plane server, its edge agents and its command line, in one
// binary: `pitrix server` runs a node; `pitrix <noun> <verb>` talks to a server's REST API.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/pitrix/pitrix/cmd/pitrix/cli"
	"github.com/pitrix/pitrix/providers/local/sandbox"
	"github.com/spf13/cobra"
)

func main() {
	// The local runtime's sandbox re-executes this binary as the init of each instance.
	if len(os.Args) > 1 && os.Args[1] == sandbox.InitArg {
		os.Exit(sandbox.Init())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	home, _ := os.UserHomeDir()
	return cli.Run(ctx, cli.Env{Args: args, Getenv: getenv, Stdin: stdin, Stdout: stdout, Stderr: stderr, HomeDir: home,
		Commands: nodeCommands(getenv, stderr)})
}

// nodeCommands are `pitrix server`, `pitrix frontgate` and `pitrix drone`. They keep their own
// flag sets (Go flags with env twins, printing their own help and errors), so cobra hands them
// their arguments unparsed.
func nodeCommands(getenv func(string) string, stderr io.Writer) []*cobra.Command {
	exit := func(code int) error {
		if code == 0 {
			return nil
		}
		return &cli.ExitError{Code: code}
	}
	server := func(ctx context.Context, args []string) int {
		cfg, err := parseServerFlags(args, getenv, stderr)
		if err != nil {
			if err == errHelp {
				return 0
			}
			fmt.Fprintf(stderr, "pitrix server: %v\n", err)
			return 2
		}
		if err := runServer(ctx, cfg, stderr); err != nil {
			fmt.Fprintf(stderr, "pitrix server: %v\n", err)
			return 1
		}
		return 0
	}
	cmds := []struct {
		name, short string
		run         func(ctx context.Context, args []string) int
	}{
		{"server", "Run a control-plane node; 'pitrix server --help' for its flags.", server},
		{"frontgate", "Run the edge agent of one VPC; 'pitrix frontgate --help' for its flags.", func(ctx context.Context, args []string) int {
			return runFrontgate(ctx, args, getenv, stderr)
		}},
		{"drone", "Run the agent of one instance; 'pitrix drone --help' for its flags.", func(ctx context.Context, args []string) int {
			return runDrone(ctx, args, getenv, stderr)
		}},
	}
	out := make([]*cobra.Command, len(cmds))
	for i, c := range cmds {
		out[i] = &cobra.Command{
			Use:                c.name + " [flags]",
			Short:              c.short,
			DisableFlagParsing: true,
			RunE:               func(cc *cobra.Command, args []string) error { return exit(c.run(cc.Context(), args)) },
		}
	}
	return out
}
