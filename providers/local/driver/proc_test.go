package driver

import (
	"bytes"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  procStat
		valid bool
	}{
		{"plain", "42 (sleep) S 1 42 42 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 123456 1000 100", procStat{'S', 123456}, true},
		{"comm with spaces and parens", "7 (a) b (c)) Z 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0", procStat{'Z', 99}, true},
		{"no paren", "42 sleep S 1", procStat{}, false},
		{"short", "42 (x) S 1 2 3", procStat{}, false},
		{"bad starttime", "42 (x) S 1 42 42 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 nan 0 0", procStat{}, false},
		{"empty", "", procStat{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat([]byte(tt.in))
			if (err == nil) != tt.valid || got != tt.want {
				t.Fatalf("parseStat(%q) = %+v, %v; want %+v valid=%v", tt.in, got, err, tt.want, tt.valid)
			}
		})
	}
	// This process's own stat parses and says it runs.
	st, err := readStat(os.Getpid())
	if err != nil || st.StartTicks == 0 || st.State == 'Z' {
		t.Fatalf("own stat = %+v, %v", st, err)
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("42 (sleep) S 1 42 42 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 123456 1000 100"))
	f.Add([]byte("7 (a) b (c)) Z 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0"))
	f.Add([]byte(")"))
	f.Add([]byte("1 () R"))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := parseStat(b)
		if err != nil {
			if st != (procStat{}) {
				t.Fatalf("error with a result: %+v", st)
			}
			return
		}
		after := b[bytes.LastIndexByte(b, ')')+1:]
		if !isLetter(st.State) || bytes.IndexByte(after, st.State) < 0 {
			t.Fatalf("state %q is not a letter after the last ')' of %q", st.State, b)
		}
	})
}

func FuzzParseCmdline(f *testing.F) {
	f.Add("pitrix\x00drone\x00--instance-id\x00i-1\x00")
	f.Add("")
	f.Add("\x00\x00")
	f.Add("sh")
	f.Fuzz(func(t *testing.T, s string) {
		argv := parseCmdline([]byte(s))
		// What the kernel writes (each argument NUL-terminated) reads back.
		if len(argv) > 0 {
			round := strings.Join(argv, "\x00") + "\x00"
			if again := parseCmdline([]byte(round)); !slices.Equal(again, argv) {
				t.Fatalf("round trip %q -> %q -> %q", s, argv, again)
			}
		}
		_, _ = flagValue(argv, "--id")
	})
}

func TestMatches(t *testing.T) {
	d := &Driver{cfg: Config{Binary: "/opt/pitrix/bin/pitrix"}}
	a := agent{kind: "drone", id: "i-1", idFlag: "--instance-id", ownFlag: "--state-dir", ownValue: "/d/instances/i-1/drone"}
	tests := []struct {
		name string
		argv []string
		want bool
	}{
		{"ours", []string{"/opt/pitrix/bin/pitrix", "drone", "--instance-id", "i-1", "--state-dir", "/d/instances/i-1/drone"}, true},
		{"ours, = form, moved binary", []string{"/usr/bin/pitrix", "drone", "--instance-id=i-1", "--state-dir=/d/instances/i-1/drone"}, true},
		{"another id", []string{"/opt/pitrix/bin/pitrix", "drone", "--instance-id", "i-2", "--state-dir", "/d/instances/i-1/drone"}, false},
		{"another dir", []string{"/opt/pitrix/bin/pitrix", "drone", "--instance-id", "i-1", "--state-dir", "/e/instances/i-1/drone"}, false},
		{"frontgate", []string{"/opt/pitrix/bin/pitrix", "frontgate", "--instance-id", "i-1", "--state-dir", "/d/instances/i-1/drone"}, false},
		{"another binary", []string{"/bin/sleep", "drone", "--instance-id", "i-1", "--state-dir", "/d/instances/i-1/drone"}, false},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := d.matches(a, tt.argv); got != tt.want {
				t.Fatalf("matches(%q) = %v", tt.argv, got)
			}
		})
	}
}

// TestPidReuse: a pid file naming a live process that is not the agent (a reused pid) is
// neither adopted nor signalled; the agent is started anew.
func TestPidReuse(t *testing.T) {
	r := newRig(t)
	ctx := r.ctx()
	vpc, err := r.d.EnsureVPC(ctx, r.rt, "alice")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := r.d.loadVPC(vpc.ID)
	a := r.d.frontgateAgent(s)
	if err := r.d.StopVPC(ctx, vpc.ID); err != nil {
		t.Fatal(err)
	}

	stranger := exec.Command("sleep", "120")
	stranger.Dir = t.TempDir()
	if err := stranger.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = stranger.Process.Kill()
		_ = stranger.Wait()
	})
	p, ok := procOf(stranger.Process.Pid)
	if !ok {
		t.Fatal("sleep is not running")
	}
	for _, rec := range []proc{p, {PID: p.PID}, {PID: p.PID, StartTicks: p.StartTicks + 1}} {
		if err := writeJSON(a.pidFile(), rec); err != nil {
			t.Fatal(err)
		}
		if err := r.d.StopVPC(ctx, vpc.ID); err != nil {
			t.Fatal(err)
		}
		if !p.alive() {
			t.Fatalf("StopVPC with pid file %+v killed a stranger", rec)
		}
	}
	if err := writeJSON(a.pidFile(), p); err != nil {
		t.Fatal(err)
	}
	if _, err := r.d.EnsureVPC(ctx, r.rt, "alice"); err != nil {
		t.Fatal(err)
	}
	if got := pidOf(t, a); got == p.PID || got == 0 {
		t.Fatalf("frontgate pid %d: the stranger %d was adopted", got, p.PID)
	}
	if !p.alive() {
		t.Fatal("EnsureVPC killed a stranger")
	}
	if _, err := drones(ctx, r.gw, vpc.FrontgateID); err != nil {
		t.Fatal(err)
	}
	// A lost pid file: the running Frontgate is found and adopted, not started twice.
	fg := pidOf(t, a)
	if err := os.Remove(a.pidFile()); err != nil {
		t.Fatal(err)
	}
	if _, err := r.d.EnsureVPC(ctx, r.rt, "alice"); err != nil {
		t.Fatal(err)
	}
	if got := pidOf(t, a); got != fg {
		t.Fatalf("frontgate pid %d after losing its pid file, want %d adopted", got, fg)
	}
}
