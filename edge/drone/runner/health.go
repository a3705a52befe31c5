package runner

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Health is an instance's health as its check sees it.
type Health int

// Health states. Every check starts Unknown.
const (
	HealthUnknown Health = iota
	Healthy
	Unhealthy
)

func (h Health) String() string {
	switch h {
	case Healthy:
		return "healthy"
	case Unhealthy:
		return "unhealthy"
	default:
		return "unknown"
	}
}

// HealthCheck configures Check; the fields mirror a role's health_check in
// cluster.json. Zero values take the defaults of the redis demo app and
// AppCenter: every 10 s, 5 s timeout, 2 successes to become healthy, 3
// failures to become unhealthy.
type HealthCheck struct {
	Cmd                string
	Interval           time.Duration
	Timeout            time.Duration
	HealthyThreshold   int
	UnhealthyThreshold int
}

func (hc HealthCheck) withDefaults() HealthCheck {
	if hc.Interval == 0 {
		hc.Interval = 10 * time.Second
	}
	if hc.Timeout == 0 {
		hc.Timeout = 5 * time.Second
	}
	if hc.HealthyThreshold == 0 {
		hc.HealthyThreshold = 2
	}
	if hc.UnhealthyThreshold == 0 {
		hc.UnhealthyThreshold = 3
	}
	return hc
}

// Validate reports an empty command and negative settings.
func (hc HealthCheck) Validate() error {
	if hc.Cmd == "" {
		return errors.New("runner: health check command is empty")
	}
	if hc.Interval < 0 || hc.Timeout < 0 || hc.HealthyThreshold < 0 || hc.UnhealthyThreshold < 0 {
		return fmt.Errorf("runner: health check %q: negative interval, timeout or threshold", hc.Cmd)
	}
	return nil
}

// HealthChange is a transition Check reports, with the check that caused it.
type HealthChange struct {
	From, To Health
	Result   Result
	Err      error // the run's error (timeout, failure to start), if any
}

// Check runs hc.Cmd now and every hc.Interval until ctx is done, and calls
// report (on Check's goroutine; it should not block long) on each
// transition: to Healthy after HealthyThreshold consecutive successes (exit
// code 0), to Unhealthy after UnhealthyThreshold consecutive failures
// (non-zero exit, timeout, failure to start). It returns nil when ctx is
// done, or an error for a bad HealthCheck.
func (r *Runner) Check(ctx context.Context, hc HealthCheck, report func(HealthChange)) error {
	if err := hc.Validate(); err != nil {
		return err
	}
	hc = hc.withDefaults()
	tr := tracker{healthy: hc.HealthyThreshold, unhealthy: hc.UnhealthyThreshold}
	ticker := time.NewTicker(hc.Interval)
	defer ticker.Stop()
	for {
		res, err := r.exec(ctx, Command{Cmd: hc.Cmd, Timeout: hc.Timeout})
		if ctx.Err() != nil {
			return nil
		}
		if from, to, changed := tr.observe(err == nil && res.ExitCode == 0); changed {
			report(HealthChange{From: from, To: to, Result: res, Err: err})
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// tracker turns a stream of check outcomes into health transitions.
type tracker struct {
	healthy, unhealthy int // thresholds
	state              Health
	okRun, failRun     int // current streaks
}

// observe records one outcome and reports the transition it causes, if any.
func (t *tracker) observe(ok bool) (from, to Health, changed bool) {
	from = t.state
	if ok {
		t.okRun++
		t.failRun = 0
		if t.state != Healthy && t.okRun >= t.healthy {
			t.state = Healthy
		}
	} else {
		t.failRun++
		t.okRun = 0
		if t.state != Unhealthy && t.failRun >= t.unhealthy {
			t.state = Unhealthy
		}
	}
	return from, t.state, t.state != from
}
