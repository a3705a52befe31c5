package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestNodeCommands runs server, frontgate and drone command lines that end before anything
// starts, through the same cobra root as the CLI: each keeps its own flags, help and exit codes.
func TestNodeCommands(t *testing.T) {
	noenv := func(string) string { return "" }
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"server help", []string{"server", "--help"}, 0, "-data-dir"},
		{"help server", []string{"help", "server"}, 0, "PITRIX_LISTEN"},
		{"server bad listen", []string{"server", "--listen", "nocolon"}, 2, `pitrix server: --listen "nocolon"`},
		{"server stray argument", []string{"server", "--data-dir", t.TempDir(), "extra"}, 2, `unexpected argument "extra"`},
		{"frontgate bad log level", []string{"frontgate", "-log-level", "loud"}, 2, "pitrix frontgate: --log-level \"loud\""},
		{"drone help", []string{"drone", "-h"}, 0, "PITRIX_DRONE_STATE_DIR"},
		{"mistyped", []string{"servr"}, 2, "Did you mean this?\n\tserver"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(t.Context(), tt.args, noenv, nil, &out, &errb)
			if code != tt.code || !strings.Contains(errb.String(), tt.stderr) {
				t.Errorf("pitrix %q: exit %d (want %d), stderr:\n%s\nwant it to hold %q", tt.args, code, tt.code, errb.String(), tt.stderr)
			}
			if out.Len() != 0 {
				t.Errorf("pitrix %q wrote to stdout: %q", tt.args, out.String())
			}
		})
	}
}
