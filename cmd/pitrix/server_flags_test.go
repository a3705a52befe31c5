package main

import (
	"io"
	"os"
	"strings"
	"testing"
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
