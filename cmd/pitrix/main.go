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
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "server" {
		cfg, err := parseServerFlags(args[1:], getenv, stderr)
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
	if len(args) > 0 {
		switch args[0] {
		case "frontgate":
			return runFrontgate(ctx, args[1:], getenv, stderr)
		case "drone":
			return runDrone(ctx, args[1:], getenv, stderr)
		}
	}
	home, _ := os.UserHomeDir()
	return cli.Run(ctx, cli.Env{Args: args, Getenv: getenv, Stdin: stdin, Stdout: stdout, Stderr: stderr, HomeDir: home})
}
