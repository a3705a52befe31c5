package confd

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pitrix/pitrix/edge/metadata"
)

var update = flag.Bool("update", false, "rewrite golden files")

// loadRedis loads the Redis package's confd resources. The package's
// reload_cmd drives a running redis-server through redis-cli on its port;
// the tests swap it for a command that only counts, so they never talk to a
// server some other test may run on that port.
func loadRedis(t *testing.T) Bundle {
	t.Helper()
	b, err := Load(packageFiles(t, redisPackage))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, r := range b.Resources {
		names = append(names, r.Name)
	}
	if want := []string{"confd/conf.d/redis-apply.toml", "confd/conf.d/redis.toml"}; !slices.Equal(names, want) || b.Prefix != "/self" {
		t.Fatalf("resources %v prefix %q, want %v and /self", names, b.Prefix, want)
	}
	if got := b.Resources[1].ReloadCmd; got != `sh "$PITRIX_ROOT/data/redis/apply-env.sh"` {
		t.Fatalf("redis.toml reload_cmd = %q", got)
	}
	b.Resources[1].ReloadCmd = `echo reload >> "$PITRIX_ROOT/reloads"`
	return b
}

func statuses(reps []Report) string {
	var s []string
	for _, r := range reps {
		s = append(s, r.Status().String())
		if r.Err != nil {
			s = append(s, r.Err.Error())
		}
	}
	return strings.Join(s, ",")
}

func TestRenderRedis(t *testing.T) {
	b := loadRedis(t)
	for _, id := range []string{"i-m1", "i-r1"} {
		t.Run(id, func(t *testing.T) {
			in := newInstance(t)
			c := redisCluster()
			reps := in.r.Render(t.Context(), b, selfView(t, c, id))
			if got := statuses(reps); got != "changed,changed" {
				t.Fatalf("first render: %s", got)
			}
			conf := in.read(t, "data/redis/redis.conf")
			golden := filepath.Join("testdata", "redis-"+id+".conf.golden")
			if *update {
				if err := os.WriteFile(golden, []byte(conf), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden (run with -update to create it): %v", err)
			}
			if conf != string(want) {
				t.Errorf("redis.conf differs from %s:\n%s", golden, conf)
			}
			isReplica := id != "i-m1"
			if got := strings.Contains(conf, "\nreplicaof 127.1.0.2 6379\n") || strings.HasSuffix(conf, "\nreplicaof 127.1.0.2 6379"); got != isReplica {
				t.Errorf("replicaof line present = %v, want %v", got, isReplica)
			}
			if strings.Count(conf, "replicaof") > 1 {
				t.Error("more than one replicaof line")
			}
			for file, mode := range map[string]os.FileMode{"data/redis/redis.conf": 0o644, "data/redis/apply-env.sh": 0o755} {
				fi, err := os.Stat(filepath.Join(in.root, file))
				if err != nil || fi.Mode().Perm() != mode {
					t.Errorf("%s: mode %v, %v; want %v", file, fi.Mode(), err, mode)
				}
			}
			if n := len(in.rec.commands()); n != 1 {
				t.Fatalf("commands after first render: %v, want the one reload", in.rec.commands())
			}

			// Same inputs: nothing changes, nothing reloads, files untouched.
			before, _ := os.Stat(filepath.Join(in.root, "data/redis/redis.conf"))
			reps = in.r.Render(t.Context(), b, selfView(t, c, id))
			if got := statuses(reps); got != "unchanged,unchanged" {
				t.Fatalf("second render: %s", got)
			}
			after, _ := os.Stat(filepath.Join(in.root, "data/redis/redis.conf"))
			if !os.SameFile(before, after) || !before.ModTime().Equal(after.ModTime()) {
				t.Error("an unchanged render replaced the file")
			}
			if n := len(in.rec.commands()); n != 1 {
				t.Fatalf("an unchanged render ran commands: %v", in.rec.commands())
			}

			// An env update: both files change, the reload runs once.
			c.Env[""]["maxmemory"] = "512mb"
			reps = in.r.Render(t.Context(), b, selfView(t, c, id))
			if got := statuses(reps); got != "changed,changed" {
				t.Fatalf("render after env update: %s", got)
			}
			if !reps[1].Reloaded || reps[0].Reloaded {
				t.Errorf("reloaded: apply %v, redis %v; want only redis.toml's", reps[0].Reloaded, reps[1].Reloaded)
			}
			if got := in.read(t, "reloads"); got != "reload\nreload\n" {
				t.Errorf("reloads = %q, want two in all", got)
			}
			if !strings.Contains(in.read(t, "data/redis/redis.conf"), "maxmemory 512mb\n") {
				t.Error("maxmemory not updated")
			}
			// No staged files are left behind.
			ents, _ := os.ReadDir(filepath.Join(in.root, "data/redis"))
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), ".") {
					t.Errorf("leftover %s", e.Name())
				}
			}
		})
	}
}

// resource builds a one-template bundle.
func resource(dest, text string) Resource {
	r := Resource{Name: "confd/conf.d/test.toml", Template: text}
	r.Src, r.Dest = "test.tmpl", dest
	return r
}

func TestCheckCmdFailureKeepsDest(t *testing.T) {
	in := newInstance(t)
	res := resource("/etc/app.conf", `value={{getv "/env/value"}}`+"\n")
	res.CheckCmd = `test -f {{.src}} && grep -q '^value=good' {{.src}}`
	res.ReloadCmd = `echo reload >> "$PITRIX_ROOT/reloads"`
	b := Bundle{Resources: []Resource{res}}
	view := func(val string) metadata.View { return metadata.View{"/env/value": val} }

	if got := statuses(in.r.Render(t.Context(), b, view("good"))); got != "changed" {
		t.Fatalf("first render: %s", got)
	}
	reps := in.r.Render(t.Context(), b, view("bad"))
	var ce *CommandError
	if reps[0].Status() != StatusError || !errors.As(reps[0].Err, &ce) || ce.Which != "check_cmd" || ce.ExitCode != 1 {
		t.Fatalf("render with a failing check: %v", reps[0].Err)
	}
	if got := in.read(t, "etc/app.conf"); got != "value=good\n" {
		t.Errorf("dest changed to %q after a failed check", got)
	}
	ents, _ := os.ReadDir(filepath.Join(in.root, "etc"))
	if len(ents) != 1 {
		t.Errorf("etc/ holds %d entries, want only app.conf (staged file left?)", len(ents))
	}
	if got := in.read(t, "reloads"); got != "reload\n" {
		t.Errorf("reloads = %q: a failed check must not reload", got)
	}
}

func TestReloadFailureIsRetried(t *testing.T) {
	in := newInstance(t)
	res := resource("/app.conf", `x={{getv "/env/x"}}`)
	res.ReloadCmd = `echo try >> "$PITRIX_ROOT/tries"; test -f "$PITRIX_ROOT/reload-ok"`
	b := Bundle{Resources: []Resource{res}}
	v := metadata.View{"/env/x": "1"}
	reps := in.r.Render(t.Context(), b, v)
	if !reps[0].Changed || reps[0].Status() != StatusReloadFailed || reps[0].Status().String() != "reload_failed" {
		t.Fatalf("first render: changed=%v status=%v err=%v", reps[0].Changed, reps[0].Status(), reps[0].Err)
	}
	if err := os.WriteFile(filepath.Join(in.root, "reload-ok"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	reps = in.r.Render(t.Context(), b, v)
	if reps[0].Changed || !reps[0].Reloaded || reps[0].Err != nil {
		t.Fatalf("second render: %+v", reps[0])
	}
	reps = in.r.Render(t.Context(), b, v)
	if reps[0].Reloaded {
		t.Error("reloaded again after a successful retry")
	}
	if got := in.read(t, "tries"); got != "try\ntry\n" {
		t.Errorf("tries = %q", got)
	}
}

// TestReloadFailsJobWhenAsked: reload_fails_job turns a failed reload into an error status
// (the job fails); without it the status is reload_failed.
func TestReloadFailsJobWhenAsked(t *testing.T) {
	in := newInstance(t)
	res := resource("/app.conf", `x={{getv "/env/x"}}`)
	res.ReloadCmd = "exit 3"
	res.ReloadFailsJob = true
	reps := in.r.Render(t.Context(), Bundle{Resources: []Resource{res}}, metadata.View{"/env/x": "1"})
	if !reps[0].Changed || reps[0].Status() != StatusError || !reps[0].ReloadFailed {
		t.Fatalf("render: changed=%v status=%v err=%v", reps[0].Changed, reps[0].Status(), reps[0].Err)
	}
}

func TestDestEscapeRefused(t *testing.T) {
	in := newInstance(t)
	outside := filepath.Join(filepath.Dir(in.root), "outside")
	if err := os.MkdirAll(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../outside", filepath.Join(in.root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(in.root, "abslink")); err != nil {
		t.Fatal(err)
	}
	for _, dest := range []string{"../outside/x", "/../outside/x", "/a/../../outside/x", "", "/", "/link/x", "/abslink/x", "/link/../x/../../outside/y"} {
		t.Run(dest, func(t *testing.T) {
			reps := in.r.Render(t.Context(), Bundle{Resources: []Resource{resource(dest, "pwned")}}, metadata.View{})
			if reps[0].Err == nil {
				t.Fatalf("dest %q accepted", dest)
			}
			ents, _ := os.ReadDir(outside)
			if len(ents) != 0 {
				t.Fatalf("wrote outside the root: %v", ents)
			}
		})
	}
	// A symbolic link that stays inside the root is followed.
	if err := os.MkdirAll(filepath.Join(in.root, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", filepath.Join(in.root, "inside")); err != nil {
		t.Fatal(err)
	}
	reps := in.r.Render(t.Context(), Bundle{Resources: []Resource{resource("/inside/ok.conf", "ok")}}, metadata.View{})
	if reps[0].Err != nil || in.read(t, "real/ok.conf") != "ok" {
		t.Fatalf("inside link: %v", reps[0].Err)
	}
}

func TestMissingKeyNamesTemplateAndKey(t *testing.T) {
	in := newInstance(t)
	res := resource("/x.conf", "a\n{{getv \"/env/port\"}}\n{{getv \"/env/nope\"}}\n")
	reps := in.r.Render(t.Context(), Bundle{Resources: []Resource{res}}, metadata.View{"/env/port": "1"})
	err := reps[0].Err
	if !errors.Is(err, ErrMissingKey) {
		t.Fatalf("err = %v, want ErrMissingKey", err)
	}
	for _, want := range []string{"test.tmpl:3", `"/env/nope"`, "confd/conf.d/test.toml"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if _, serr := os.Stat(filepath.Join(in.root, "x.conf")); !errors.Is(serr, os.ErrNotExist) {
		t.Error("a failed template wrote its dest")
	}
}

func TestKeysLimitWhatATemplateSees(t *testing.T) {
	in := newInstance(t)
	res := resource("/k.conf", `{{getv "/host/ip"}} {{getv "/env/a" "none"}}`)
	res.Keys = []string{"/host"}
	v := metadata.View{"/host/ip": "127.0.0.9", "/env/a": "secret"}
	reps := in.r.Render(t.Context(), Bundle{Resources: []Resource{res}}, v)
	if reps[0].Err != nil || in.read(t, "k.conf") != "127.0.0.9 none" {
		t.Fatalf("render: %v; got %q", reps[0].Err, in.read(t, "k.conf"))
	}
}

func TestNoRunner(t *testing.T) {
	root := t.TempDir()
	r, err := New(Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	res := resource("/a", "x")
	res.ReloadCmd = "true"
	reps := r.Render(t.Context(), Bundle{Resources: []Resource{res}}, metadata.View{})
	if !errors.Is(reps[0].Err, ErrNoRunner) {
		t.Fatalf("err = %v, want ErrNoRunner", reps[0].Err)
	}
	if _, err := New(Config{Root: "relative"}); err == nil {
		t.Error("New accepted a relative root")
	}
}
