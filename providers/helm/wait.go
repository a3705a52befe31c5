package helm

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/release"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pitrix/pitrix/providers"
)

// maxEventsPerWorkload bounds the events quoted for one unready workload.
const maxEventsPerWorkload = 3

// maxEvents bounds the Warning events of a namespace read for one report.
const maxEvents = 1000

// WorkloadState is one workload that did not become ready in time.
type WorkloadState struct {
	Kind    string
	Name    string
	Desired int
	Ready   int
	// Reason says what the rollout is stuck on, from the workload's status.
	Reason string
	// Events are the latest Warning events of the workload, its ReplicaSets and its pods,
	// newest first ("pod web-5d9c-x2x: FailedScheduling: 0/1 nodes are available: ...").
	Events []string
}

// NotReadyError reports workloads of a release that were not ready when the wait task's
// deadline came.
type NotReadyError struct {
	Release   string
	Namespace string
	Waited    time.Duration
	Workloads []WorkloadState
}

func (e *NotReadyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "release %q in namespace %q not ready after %s:", e.Release, e.Namespace, e.Waited.Round(time.Second))
	for i, w := range e.Workloads {
		if i > 0 {
			b.WriteString(";")
		}
		fmt.Fprintf(&b, " %s/%s %d/%d ready (%s)", strings.ToLower(w.Kind), w.Name, w.Ready, w.Desired, w.Reason)
		if len(w.Events) > 0 {
			b.WriteString(" events: " + strings.Join(w.Events, " | "))
		}
	}
	return b.String()
}

// waitReady polls the release's workloads until all are rolled out and ready, or ctx ends;
// then it returns a *NotReadyError naming each unready workload and why.
func (p *Provider) waitReady(ctx context.Context, s *session, rel *release.Release) (*providers.Observed, error) {
	start := time.Now()
	tick := time.NewTicker(p.cfg.PollInterval)
	defer tick.Stop()
	var lastErr error
	for {
		obs, states, err := observe(ctx, s, rel)
		if err == nil && allDone(states) {
			return obs, nil
		}
		if err != nil {
			lastErr = err // a blip of the API server: keep polling until the deadline
			p.log.Debug("wait: read workloads", "release", rel.Name, "err", err)
		}
		select {
		case <-ctx.Done():
			// The task's context is over; the report gets a short budget of its own.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
			defer cancel()
			_, states, err := observe(rctx, s, rel)
			if err != nil {
				if lastErr == nil {
					lastErr = err
				}
				return nil, fmt.Errorf("release %q: workloads not confirmed ready after %s (last read failed: %w): %w", rel.Name, time.Since(start).Round(time.Second), lastErr, ctx.Err())
			}
			if allDone(states) {
				return p.observeAfter(rctx, s, rel)
			}
			return nil, p.notReady(rctx, s, rel, states, time.Since(start))
		case <-tick.C:
		}
	}
}

func (p *Provider) observeAfter(ctx context.Context, s *session, rel *release.Release) (*providers.Observed, error) {
	obs, _, err := observe(ctx, s, rel)
	return obs, err
}

func allDone(ws []workload) bool {
	for _, w := range ws {
		if !w.done {
			return false
		}
	}
	return true
}

// notReady builds the report of the unready workloads, with their latest Warning events.
func (p *Provider) notReady(ctx context.Context, s *session, rel *release.Release, states []workload, waited time.Duration) error {
	e := &NotReadyError{Release: rel.Name, Namespace: rel.Namespace, Waited: waited}
	events, err := s.kube.CoreV1().Events(rel.Namespace).List(ctx, metav1.ListOptions{FieldSelector: "type=Warning", Limit: maxEvents})
	if err != nil {
		p.log.Debug("wait: list events", "namespace", rel.Namespace, "err", err)
	}
	for _, w := range states {
		if w.done {
			continue
		}
		ws := WorkloadState{Kind: w.obj.Kind, Name: w.obj.Name, Desired: w.desired, Ready: w.ready, Reason: w.why}
		owned := p.ownedObjects(ctx, s, w)
		if events != nil {
			evs := slices.Clone(events.Items)
			slices.SortFunc(evs, func(a, b corev1.Event) int { return eventTime(b).Compare(eventTime(a)) })
			seen := map[string]bool{}
			for _, ev := range evs {
				io := ev.InvolvedObject
				if !owned[io.Kind+"/"+io.Name] {
					continue
				}
				line := fmt.Sprintf("%s %s: %s: %s", strings.ToLower(io.Kind), io.Name, ev.Reason, strings.TrimSpace(ev.Message))
				if key := io.Kind + ev.Reason + ev.Message; !seen[key] {
					seen[key] = true
					ws.Events = append(ws.Events, line)
				}
				if len(ws.Events) == maxEventsPerWorkload {
					break
				}
			}
		}
		if len(ws.Events) == 0 {
			ws.Events = p.podConditions(ctx, s, w)
		}
		e.Workloads = append(e.Workloads, ws)
	}
	return e
}

func eventTime(e corev1.Event) time.Time {
	switch {
	case e.Series != nil && !e.Series.LastObservedTime.IsZero():
		return e.Series.LastObservedTime.Time
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	}
	return e.CreationTimestamp.Time
}

// ownedObjects is the set "Kind/name" of w, its ReplicaSets (for Deployments), its pods and
// their PersistentVolumeClaims: what its events may be about.
func (p *Provider) ownedObjects(ctx context.Context, s *session, w workload) map[string]bool {
	set := map[string]bool{w.obj.Kind + "/" + w.obj.Name: true}
	sel, err := metav1.LabelSelectorAsSelector(w.selector)
	if w.selector == nil || err != nil {
		return set
	}
	opts := metav1.ListOptions{LabelSelector: sel.String()}
	if w.obj.Kind == "Deployment" {
		if rss, err := s.kube.AppsV1().ReplicaSets(w.obj.Namespace).List(ctx, opts); err == nil {
			for _, rs := range rss.Items {
				set["ReplicaSet/"+rs.Name] = true
			}
		}
	}
	if pods, err := s.kube.CoreV1().Pods(w.obj.Namespace).List(ctx, opts); err == nil {
		for _, pod := range pods.Items {
			set["Pod/"+pod.Name] = true
			for _, v := range pod.Spec.Volumes {
				if v.PersistentVolumeClaim != nil {
					set["PersistentVolumeClaim/"+v.PersistentVolumeClaim.ClaimName] = true
				}
			}
		}
	}
	return set
}

// podConditions describes the unready pods of w from their conditions, for when there are
// no Warning events.
func (p *Provider) podConditions(ctx context.Context, s *session, w workload) []string {
	sel, err := metav1.LabelSelectorAsSelector(w.selector)
	if w.selector == nil || err != nil {
		return nil
	}
	pods, err := s.kube.CoreV1().Pods(w.obj.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil
	}
	var out []string
	for _, pod := range pods.Items {
		for _, c := range pod.Status.Conditions {
			if c.Status != corev1.ConditionTrue && (c.Reason != "" || c.Message != "") {
				out = append(out, fmt.Sprintf("pod %s %s: %s=%s %s: %s", pod.Name, pod.Status.Phase, c.Type, c.Status, c.Reason, c.Message))
				break
			}
		}
		if len(out) == maxEventsPerWorkload {
			break
		}
	}
	return out
}
