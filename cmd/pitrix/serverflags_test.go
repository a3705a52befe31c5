package main

import (
	"io"
	"strings"
	"testing"
)

func TestAdmissionFlags(t *testing.T) {
	cases := []struct {
		name          string
		args          []string
		env           map[string]string
		inFlight, ip  int
		wantErrSubstr string
	}{
		{"defaults", nil, nil, 0, 0, ""},
		{"flags", []string{"--max-in-flight", "64", "--max-conns-per-ip", "1000"}, nil, 64, 1000, ""},
		{"env twins", nil, map[string]string{"PITRIX_MAX_IN_FLIGHT": "8", "PITRIX_MAX_CONNS_PER_IP": "9"}, 8, 9, ""},
		{"flag over env", []string{"--max-in-flight", "3"}, map[string]string{"PITRIX_MAX_IN_FLIGHT": "8"}, 3, 0, ""},
		{"not a number", []string{"--max-in-flight", "lots"}, nil, 0, 0, "--max-in-flight \"lots\""},
		{"bad env", nil, map[string]string{"PITRIX_MAX_CONNS_PER_IP": "x"}, 0, 0, "--max-conns-per-ip \"x\""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			getenv := func(k string) string { return c.env[k] }
			cfg, err := parseServerFlags(append([]string{"--data-dir", t.TempDir()}, c.args...), getenv, io.Discard)
			if c.wantErrSubstr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErrSubstr) {
					t.Fatalf("err = %v, want it to say %s", err, c.wantErrSubstr)
				}
				return
			}
			if err != nil || cfg.MaxInFlight != c.inFlight || cfg.MaxConnsPerIP != c.ip {
				t.Fatalf("got in-flight %d, per-ip %d, err %v; want %d, %d", cfg.MaxInFlight, cfg.MaxConnsPerIP, err, c.inFlight, c.ip)
			}
		})
	}
}
