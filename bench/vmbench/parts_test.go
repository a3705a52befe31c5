package main

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/pitrix/pitrix/actors/appcluster"
)

func TestStatsOf(t *testing.T) {
	cases := []struct {
		name string
		xs   []float64
		want Stats
	}{
		{"none", nil, Stats{Name: "none"}},
		{"one", []float64{2}, Stats{Name: "one", N: 1, First: 2, Min: 2, Median: 2, P90: 2, Max: 2}},
		{"odd", []float64{3, 1, 2}, Stats{Name: "odd", N: 3, First: 3, Min: 1, Median: 2, P90: 3, Max: 3}},
		{"even", []float64{4, 1, 3, 2}, Stats{Name: "even", N: 4, First: 4, Min: 1, Median: 2.5, P90: 4, Max: 4}},
		{"ten", []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, Stats{Name: "ten", N: 10, First: 10, Min: 1, Median: 5.5, P90: 9, Max: 10}},
		{"eleven", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, Stats{Name: "eleven", N: 11, First: 1, Min: 1, Median: 6, P90: 10, Max: 11}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := statsOf(c.name, c.xs); got != c.want {
				t.Fatalf("statsOf(%v) = %+v, want %+v", c.xs, got, c.want)
			}
		})
	}
}

func TestMedianIndex(t *testing.T) {
	cases := []struct {
		xs   []float64
		want int
	}{
		{[]float64{5}, 0},
		{[]float64{3, 1, 2}, 2},
		{[]float64{0.4, 0.3}, 1},
		{[]float64{1, 1, 1, 1}, 1},
	}
	for _, c := range cases {
		if got := medianIndex(c.xs); got != c.want {
			t.Errorf("medianIndex(%v) = %d, want %d", c.xs, got, c.want)
		}
	}
}

func TestJobSteps(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) *time.Time { v := t0.Add(time.Duration(ms) * time.Millisecond); return &v }
	job := appcluster.Job{CreatedAt: *at(2), StartedAt: at(3), FinishedAt: at(300)}
	// Out of order on purpose: layers follow layer, then seq. A task that never started is
	// left out.
	tasks := []appcluster.Task{
		{Layer: 1, Seq: 1, Action: "vm.create_instance", Target: "i-2", StartedAt: at(10), FinishedAt: at(200)},
		{Layer: 2, Seq: 0, Action: "vm.command", Target: "i-1 start", StartedAt: at(201), FinishedAt: at(250)},
		{Layer: 0, Action: "vm.vpc", Target: "cl-1", StartedAt: at(4), FinishedAt: at(9)},
		{Layer: 1, Seq: 0, Action: "vm.create_instance", Target: "i-1", StartedAt: at(11), FinishedAt: at(150)},
		{Layer: 2, Seq: 1, Action: "vm.command", Target: "i-2 start", StartedAt: at(202), FinishedAt: at(290)},
		{Layer: 2, Seq: 2, Action: "vm.render", Target: "i-2", StartedAt: at(203), FinishedAt: at(210)},
		{Layer: 3, Action: "vm.command", Target: "i-3 never"},
	}
	steps := jobSteps(t0, *at(301), job, tasks)
	want := []Step{
		{"request → job created", 0, 0.002},
		{"job created → L0", 0.002, 0.002}, {"L0 vm.vpc", 0.004, 0.005},
		{"L0 → L1", 0.009, 0.001}, {"L1 vm.create_instance ×2", 0.010, 0.190},
		{"L1 → L2", 0.200, 0.001}, {"L2 vm.command start ×2, vm.render", 0.201, 0.089},
		{"L2 → job finished", 0.290, 0.010},
		{"job finished → final event seen", 0.300, 0.001},
	}
	if len(steps) != len(want) {
		t.Fatalf("steps = %+v", steps)
	}
	var sum float64
	for i, s := range steps {
		if s.Name != want[i].Name || math.Abs(s.Seconds-want[i].Seconds) > 1e-9 || math.Abs(s.Start-want[i].Start) > 1e-9 {
			t.Errorf("step %d = %+v, want %+v", i, s, want[i])
		}
		sum += s.Seconds
	}
	if math.Abs(sum-0.301) > 1e-9 {
		t.Errorf("steps add up to %v, want the whole 0.301s", sum)
	}
}

func TestUnderDir(t *testing.T) {
	const dir = "/tmp/vmbench-1/data"
	cases := []struct {
		name string
		args []string
		cwd  string
		want bool
	}{
		{"flag value", []string{"/bin/pitrix", "drone", "--root", "/tmp/vmbench-1/data/local/i-1/root"}, "/", true},
		{"flag=value", []string{"/bin/pitrix", "frontgate", "--data-dir=/tmp/vmbench-1/data/local"}, "/", true},
		{"the dir itself", []string{"x", dir}, "", true},
		{"cwd inside", []string{"redis-server *:6379"}, "/tmp/vmbench-1/data/local/instances/i-1/root", true},
		{"sibling prefix", []string{"x", "/tmp/vmbench-1/data2/x"}, "/tmp/vmbench-1/data2", false},
		{"parent", []string{"x", "/tmp/vmbench-1"}, "/tmp", false},
		{"nothing", nil, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := underDir(dir, c.args, c.cwd); got != c.want {
				t.Fatalf("underDir(%v, %q) = %v, want %v", c.args, c.cwd, got, c.want)
			}
		})
	}
}

func TestProcKind(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"/work/main/bin/pitrix", "frontgate", "--id", "fg-1"}, "frontgate"},
		{[]string{"pitrix", "drone"}, "drone"},
		{[]string{"/usr/bin/redis-server 127.100.2.3:6379"}, "redis-server"},
		{[]string{"sleep", "600"}, "sleep"},
		{[]string{""}, "?"},
		{nil, "?"},
	}
	for _, c := range cases {
		if got := procKind(c.args); got != c.want {
			t.Errorf("procKind(%q) = %q, want %q", c.args, got, c.want)
		}
	}
}

func TestProcState(t *testing.T) {
	cases := []struct {
		stat string
		want byte
	}{
		{"123 (pitrix) S 1 123 123 0", 'S'},
		{"9 (a) (b) Z 1 2", 'Z'},
		{"9 (sp ace) R", 'R'},
		{"9 (cut)", 0},
		{"", 0},
	}
	for _, c := range cases {
		if got := procState(c.stat); got != c.want {
			t.Errorf("procState(%q) = %q, want %q", c.stat, got, c.want)
		}
	}
}

// FuzzProcState: any /proc stat text yields a state without panicking, and the state is the
// character two after the last ')'.
func FuzzProcState(f *testing.F) {
	f.Add("123 (pitrix) S 1 123 123 0")
	f.Add("1 ()) Z")
	f.Add(")")
	f.Fuzz(func(t *testing.T, stat string) {
		got := procState(stat)
		i := strings.LastIndexByte(stat, ')')
		if got != 0 && (i < 0 || stat[i+2] != got) {
			t.Fatalf("procState(%q) = %q", stat, got)
		}
	})
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string // a part of the error, "" for none
	}{
		{"defaults with a binary", Config{Binary: "bin/pitrix"}, ""},
		{"edge needs no binary", Config{Only: partEdge}, ""},
		{"create needs a binary", Config{Only: partCreate}, "no pitrix binary"},
		{"bad part", Config{Binary: "b", Only: "helm"}, `only "helm"`},
		{"unknown app", Config{Binary: "b", Apps: []string{"zk"}}, `app "zk"`},
		{"app twice", Config{Binary: "b", Apps: []string{"hello", "hello"}}, "twice"},
		{"too many iterations", Config{Binary: "b", N: 5000}, "n 5000"},
		{"fast poll", Config{Binary: "b", PollInterval: time.Microsecond}, "poll interval"},
		{"negative ops", Config{Binary: "b", EdgeOps: -1}, "edge ops"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.withDefaults().Validate()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("Validate() = %v, want an error with %q", err, c.want)
			}
		})
	}
}
