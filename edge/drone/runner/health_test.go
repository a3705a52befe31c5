package runner

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestTrackerThresholds(t *testing.T) {
	tests := []struct {
		name      string
		healthy   int
		unhealthy int
		outcomes  string // o = success, x = failure
		want      string // state after each outcome: ? unknown, H healthy, U unhealthy
	}{
		{"becomes healthy after 2", 2, 3, "oo", "?H"},
		{"unhealthy after 3", 2, 3, "xxx", "??U"},
		{"a failure resets the success streak", 2, 3, "oxoo", "???H"},
		{"healthy survives 2 failures", 2, 3, "ooxxoxxx", "?HHHHHHU"},
		{"recovers after 2 successes", 2, 3, "xxxoxoo", "??UUUUH"},
		{"thresholds of 1 flip every time", 1, 1, "oxox", "HUHU"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := tracker{healthy: tc.healthy, unhealthy: tc.unhealthy}
			got := ""
			for _, c := range tc.outcomes {
				tr.observe(c == 'o')
				got += map[Health]string{HealthUnknown: "?", Healthy: "H", Unhealthy: "U"}[tr.state]
			}
			if got != tc.want {
				t.Errorf("states %s, want %s", got, tc.want)
			}
		})
	}
}

func TestCheckReportsTransitions(t *testing.T) {
	r := newRunner(t, nil)
	flag := filepath.Join(r.cfg.Root, "ok")
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	changes := make(chan HealthChange, 16)
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() {
		err := r.Check(ctx, HealthCheck{
			Cmd: `test -f "$PITRIX_ROOT/ok"`, Interval: 5 * time.Millisecond, Timeout: 5 * time.Second,
			HealthyThreshold: 2, UnhealthyThreshold: 3,
		}, func(c HealthChange) { changes <- c })
		if err != nil {
			t.Errorf("Check: %v", err)
		}
	})
	defer func() { cancel(); wg.Wait() }()
	expect := func(from, to Health) {
		t.Helper()
		select {
		case c := <-changes:
			if c.From != from || c.To != to {
				t.Fatalf("transition %s -> %s, want %s -> %s", c.From, c.To, from, to)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no transition to %s within 10s", to)
		}
	}
	expect(HealthUnknown, Healthy)
	if err := os.Remove(flag); err != nil {
		t.Fatal(err)
	}
	expect(Healthy, Unhealthy)
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	expect(Unhealthy, Healthy)
	if err := r.Check(ctx, HealthCheck{}, nil); err == nil {
		t.Error("Check accepted an empty command")
	}
}
