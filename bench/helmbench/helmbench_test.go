package main

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pitrix/pitrix/actors/appcluster"
	"github.com/pitrix/pitrix/bench/benchkit"
)

// TestMain fails the package when a goroutine started by a run (the server's log reader, the
// event stream's reader, the informer, the pollers) outlives the tests.
func TestMain(m *testing.M) {
	os.Exit(benchkit.LeakCheck(lingering...).Main(m))
}

// lingering are goleak ignores for goroutines that are not ours to stop: client-go keeps one
// TLS transport per API server in a process-wide cache, and its idle HTTP/2 connection has a
// read loop no Close of ours reaches.
var lingering = []goleak.Option{
	goleak.IgnoreAnyFunction("golang.org/x/net/http2.(*ClientConn).readLoop"),
}

// testKubeconfig returns the flattened kubeconfig of the test Kubernetes API server
// (../shared/scripts/k8s-up.sh) once it answers. Locally a missing or unreachable one skips
// the test; in CI it fails it.
func testKubeconfig(t *testing.T) string {
	t.Helper()
	unavailable := func(why string, args ...any) {
		t.Helper()
		if os.Getenv("CI") != "" {
			t.Fatalf("no test Kubernetes in CI (make test starts one: scripts/test-deps.sh): "+why, args...)
		}
		t.Skipf("no test Kubernetes API server (start one with make test-deps, or set PITRIX_KUBECONFIG): "+why, args...)
	}
	path := firstSet(os.Getenv("PITRIX_KUBECONFIG"), os.Getenv("KUBECONFIG"), defaultKubeconfig)
	if _, err := os.Stat(path); err != nil {
		unavailable("%v", err)
	}
	kc, err := loadKubeconfig(path)
	if err != nil {
		unavailable("%v", err)
	}
	cs, err := clientset(kc)
	if err != nil {
		unavailable("%v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := cs.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{}); err != nil {
		unavailable("%s: %v", path, err)
	}
	return kc
}

// TestRun runs one iteration of each side against the test Kubernetes, building the server
// binary itself, and checks the figures hang together and that nothing is left behind.
func TestRun(t *testing.T) {
	kc := testKubeconfig(t)
	var logs bytes.Buffer
	r, err := run(t.Context(), Config{Kubeconfig: kc, N: 1, Replicas: 2, Timeout: time.Minute,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatalf("run: %v\nlog:\n%s", err, logs.String())
	}
	if len(r.Samples) != 2 {
		t.Fatalf("samples = %+v, want one per side", r.Samples)
	}
	for _, s := range r.Samples {
		if s.Warmup || s.Total <= 0 || s.K8sReady <= 0 || s.K8sReady > s.Total {
			t.Errorf("%s sample: total %.3fs, k8s ready %.3fs, warmup %v: want 0 < ready <= total", s.Side, s.Total, s.K8sReady, s.Warmup)
		}
	}
	api, direct := r.Samples[0], r.Samples[1]
	if api.Side != sideAPI || direct.Side != sideDirect {
		t.Fatalf("sides in order %s, %s; want api first on iteration 0", api.Side, direct.Side)
	}
	if api.SSE <= 0 || api.Active < api.Total || api.Accepted <= 0 || api.Accepted > api.Total || api.JobServer <= 0 || api.JobServer > api.Total {
		t.Errorf("api sample views do not hang together: %+v", api)
	}
	if direct.Installed <= 0 || direct.Installed > direct.Total {
		t.Errorf("direct sample: installed %.3fs, total %.3fs", direct.Installed, direct.Total)
	}
	var sum float64
	actions := map[string]bool{}
	for _, st := range api.Steps {
		sum += st.Seconds
		actions[st.Name] = true
	}
	if math.Abs(sum-api.Total) > 0.05 {
		t.Errorf("api steps add up to %.3fs, total is %.3fs: %+v", sum, api.Total, api.Steps)
	}
	for _, a := range []string{"helm.recover", "helm.install", "helm.wait"} {
		if !actions[a] {
			t.Errorf("api steps lack %s: %+v", a, api.Steps)
		}
	}
	if r.Rows[0].N != 1 || r.Rows[1].N != 1 || r.Ratio <= 0 {
		t.Errorf("rows %+v ratio %v", r.Rows[:2], r.Ratio)
	}
	var table strings.Builder
	if err := writeTable(&table, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "API/direct") || !strings.Contains(table.String(), "helm.wait") {
		t.Errorf("table:\n%s", table.String())
	}
	t.Logf("\n%s", table.String())

	cs, err := clientset(kc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Namespaces().Get(t.Context(), r.Namespace, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("namespace %s after the run: %v, want it gone", r.Namespace, err)
	}
}

func TestStatsOf(t *testing.T) {
	cases := []struct {
		name string
		xs   []float64
		want Stats
	}{
		{"none", nil, Stats{Name: "none"}},
		{"one", []float64{2}, Stats{Name: "one", N: 1, Min: 2, Median: 2, Max: 2}},
		{"odd", []float64{3, 1, 2}, Stats{Name: "odd", N: 3, Min: 1, Median: 2, Max: 3}},
		{"even", []float64{4, 1, 3, 2}, Stats{Name: "even", N: 4, Min: 1, Median: 2.5, Max: 4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := statsOf(c.name, c.xs); got != c.want {
				t.Fatalf("statsOf(%v) = %+v, want %+v", c.xs, got, c.want)
			}
		})
	}
}

func TestJobSteps(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) *time.Time { v := t0.Add(time.Duration(ms) * time.Millisecond); return &v }
	job := appcluster.Job{CreatedAt: *at(2), StartedAt: at(3), FinishedAt: at(1200)}
	// Out of order on purpose: steps follow layer, then seq.
	tasks := []appcluster.Task{
		{Layer: 2, Action: "helm.wait", StartedAt: at(150), FinishedAt: at(1195)},
		{Layer: 0, Action: "helm.recover", StartedAt: at(4), FinishedAt: at(10)},
		{Layer: 1, Action: "helm.install", StartedAt: at(11), FinishedAt: at(149)},
	}
	steps := jobSteps(t0, *at(1210), job, tasks)
	want := []Step{
		{"POST → job created", 0.002}, {"job created → helm.recover start", 0.002}, {"helm.recover", 0.006},
		{"helm.recover end → helm.install start", 0.001}, {"helm.install", 0.138},
		{"helm.install end → helm.wait start", 0.001}, {"helm.wait", 1.045},
		{"helm.wait end → job finished", 0.005}, {"job finished → seen by poll", 0.010},
	}
	if len(steps) != len(want) {
		t.Fatalf("steps = %+v", steps)
	}
	var sum float64
	for i, s := range steps {
		if s.Name != want[i].Name || math.Abs(s.Seconds-want[i].Seconds) > 1e-9 {
			t.Errorf("step %d = %+v, want %+v", i, s, want[i])
		}
		sum += s.Seconds
	}
	if math.Abs(sum-1.210) > 1e-9 {
		t.Errorf("steps add up to %v, want the whole 1.210s", sum)
	}
}
