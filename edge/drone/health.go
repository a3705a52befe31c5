package drone

import (
	"context"
	"fmt"
	"strings"

	"github.com/pitrix/pitrix/edge/drone/runner"
	"github.com/pitrix/pitrix/edge/edgepb"
)

// healthLoop runs the health check and sends each transition to the Frontgate.
func (d *Drone) healthLoop(ctx context.Context) error {
	return d.runner.Check(ctx, d.cfg.HealthCheck, func(ch runner.HealthChange) {
		h := &edgepb.Health{
			InstanceId: d.cfg.InstanceID,
			ClusterId:  d.clusterID(),
			Role:       d.cfg.Role,
			Healthy:    ch.To == runner.Healthy,
			Message:    healthMessage(ch),
		}
		d.lastHealth.Store(h)
		d.log.Info("health changed", "from", ch.From.String(), "to", ch.To.String(), "message", h.Message)
		d.send(ctx, h)
	})
}

// clusterID is the configured cluster id, or the bundle's.
func (d *Drone) clusterID() string {
	if d.cfg.ClusterID != "" {
		return d.cfg.ClusterID
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.bundle != nil {
		return d.bundle.clusterID
	}
	return ""
}

// healthMessage says why a check failed; empty for a healthy one.
func healthMessage(ch runner.HealthChange) string {
	if ch.To == runner.Healthy {
		return ""
	}
	if ch.Err != nil {
		return ch.Err.Error()
	}
	msg := fmt.Sprintf("check exited with %d", ch.Result.ExitCode)
	if out := strings.TrimSpace(string(ch.Result.Stderr)); out != "" {
		if len(out) > 512 {
			out = "..." + out[len(out)-512:]
		}
		msg += ": " + out
	}
	return msg
}
