package main

import (
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseServerFlagsAllow(t *testing.T) {
	env := map[string]string{"PITRIX_ALLOW_FETCH": "127.0.0.0/8", "PITRIX_ALLOW_LOCAL_REPO": "/srv/repos"}
	getenv := func(k string) string { return env[k] }
	c, err := parseServerFlags(nil, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.AllowFetch) != 1 || c.AllowFetch[0].String() != "127.0.0.0/8" || len(c.AllowLocalRepo) != 1 || c.AllowLocalRepo[0] != "/srv/repos" {
		t.Fatalf("from env: fetch %v local %v", c.AllowFetch, c.AllowLocalRepo)
	}
	c, err = parseServerFlags([]string{"--allow-fetch", "127.0.0.2/32, ::1", "--allow-local-repo", "/a/,/b"}, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.AllowFetch) != 2 || c.AllowFetch[1].String() != "::1/128" || strings.Join(c.AllowLocalRepo, ",") != "/a,/b" {
		t.Fatalf("flags over env: fetch %v local %v", c.AllowFetch, c.AllowLocalRepo)
	}
	c, err = parseServerFlags(nil, func(string) string { return "" }, io.Discard)
	if err != nil || len(c.AllowFetch) != 0 || len(c.AllowLocalRepo) != 0 {
		t.Fatalf("defaults: %v %v %v, want nothing allowed", c.AllowFetch, c.AllowLocalRepo, err)
	}
	for _, args := range [][]string{{"--allow-fetch", "10.0.0.0/33"}, {"--allow-fetch", "example.com"}, {"--allow-local-repo", "rel/dir"}} {
		if _, err := parseServerFlags(args, getenv, io.Discard); err == nil || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("%v: err %v, want one naming the flag", args, err)
		}
	}
}

// The join token comes from a file (kept off the command line) or the flag, not both; the file's
// whitespace is trimmed; an empty or missing file is refused naming the flag.
func TestParseServerFlagsJoinTokenFile(t *testing.T) {
	noEnv := func(string) string { return "" }
	dir := t.TempDir()
	file := dir + "/join.token"
	if err := os.WriteFile(file, []byte("ptx1.abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := parseServerFlags([]string{"--join-token-file", file}, noEnv, io.Discard)
	if err != nil || c.JoinToken != "ptx1.abc" {
		t.Fatalf("from a file: %q, %v", c.JoinToken, err)
	}
	if _, err := parseServerFlags([]string{"--join-token-file", file, "--join-token", "x"}, noEnv, io.Discard); err == nil {
		t.Fatal("both flags accepted")
	}
	empty := dir + "/empty"
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{empty, dir + "/missing"} {
		if _, err := parseServerFlags([]string{"--join-token-file", f}, noEnv, io.Discard); err == nil || !strings.Contains(err.Error(), "--join-token-file") {
			t.Fatalf("%s: %v", f, err)
		}
	}
}

func TestParseServerFlagsActorIdle(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		want    time.Duration
		wantErr string
	}{
		{"default", nil, nil, 10 * time.Minute, ""},
		{"flag", []string{"--actor-idle", "90s"}, nil, 90 * time.Second, ""},
		{"env twin", nil, map[string]string{"PITRIX_ACTOR_IDLE": "0"}, 0, ""},
		{"not a duration", []string{"--actor-idle", "soon"}, nil, 0, `--actor-idle "soon"`},
		{"negative env", nil, map[string]string{"PITRIX_ACTOR_IDLE": "-1m"}, 0, `--actor-idle "-1m"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := parseServerFlags(append([]string{"--data-dir", t.TempDir()}, c.args...), func(k string) string { return c.env[k] }, io.Discard)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want it to name %s", err, c.wantErr)
				}
				return
			}
			if err != nil || cfg.ActorIdle != c.want {
				t.Fatalf("ActorIdle = %v, err %v; want %v", cfg.ActorIdle, err, c.want)
			}
		})
	}
}

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

func TestParseServerFlagsLocalBase(t *testing.T) {
	none := func(string) string { return "" }
	if c, err := parseServerFlags(nil, none, io.Discard); err != nil || c.LocalBase != "" {
		t.Fatalf("default: %q %v", c.LocalBase, err)
	}
	if c, err := parseServerFlags([]string{"--local-base", "/srv/image/"}, none, io.Discard); err != nil || c.LocalBase != "/srv/image" {
		t.Fatalf("--local-base: %q %v", c.LocalBase, err)
	}
	if _, err := parseServerFlags([]string{"--local-base", "image"}, none, io.Discard); err == nil || !strings.Contains(err.Error(), "--local-base") {
		t.Fatalf("relative --local-base: %v", err)
	}
}
