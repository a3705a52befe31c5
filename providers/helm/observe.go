package helm

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/releaseutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/pitrix/pitrix/providers"
)

// object is a resource named in a release manifest.
type object struct {
	Kind      string
	Namespace string
	Name      string
}

func (o object) String() string { return strings.ToLower(o.Kind) + "/" + o.Name }

// manifestObjects lists the workloads (Deployment, StatefulSet, DaemonSet) and entry points
// (Service, Ingress) in a release manifest, in manifest order. Documents that do not parse
// are skipped: Helm itself applied this manifest, so they are not ours to judge.
func manifestObjects(manifest, namespace string) (workloads, entries []object) {
	docs := releaseutil.SplitManifests(manifest)
	for _, key := range slices.Sorted(maps.Keys(docs)) {
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(docs[key]), &head); err != nil || head.Metadata.Name == "" {
			continue
		}
		o := object{Kind: head.Kind, Namespace: head.Metadata.Namespace, Name: head.Metadata.Name}
		if o.Namespace == "" {
			o.Namespace = namespace
		}
		switch {
		case head.APIVersion == "apps/v1" && (o.Kind == "Deployment" || o.Kind == "StatefulSet" || o.Kind == "DaemonSet"):
			workloads = append(workloads, o)
		case head.APIVersion == "v1" && o.Kind == "Service",
			head.APIVersion == "networking.k8s.io/v1" && o.Kind == "Ingress":
			entries = append(entries, o)
		}
	}
	return workloads, entries
}

// workload is the live state of one workload of a release.
type workload struct {
	obj      object
	desired  int
	ready    int
	done     bool   // rolled out and ready
	why      string // why not done (from status), "" when done
	selector *metav1.LabelSelector
}

// readWorkload reads o and decides whether it is rolled out, with the rules of
// `kubectl rollout status`.
func readWorkload(ctx context.Context, s *session, o object) (workload, error) {
	w := workload{obj: o}
	apps := s.kube.AppsV1()
	var err error
	switch o.Kind {
	case "Deployment":
		var d *appsv1.Deployment
		if d, err = apps.Deployments(o.Namespace).Get(ctx, o.Name, metav1.GetOptions{}); err == nil {
			w.selector = d.Spec.Selector
			w.desired = int(ptrOr(d.Spec.Replicas, 1))
			st := d.Status
			w.ready = int(st.ReadyReplicas)
			switch {
			case st.ObservedGeneration < d.Generation:
				w.why = "rollout not yet observed by the controller"
			case int(st.UpdatedReplicas) < w.desired:
				w.why = fmt.Sprintf("%d of %d replicas updated", st.UpdatedReplicas, w.desired)
			case st.Replicas > st.UpdatedReplicas:
				w.why = fmt.Sprintf("%d old replicas pending termination", st.Replicas-st.UpdatedReplicas)
			case int(st.AvailableReplicas) < w.desired:
				w.why = fmt.Sprintf("%d of %d updated replicas available", st.AvailableReplicas, w.desired)
			case w.ready > w.desired:
				// Stricter than kubectl: after a scale-down the status may still count ready
				// pods of the old size for a moment; the release is settled once it does not.
				w.why = fmt.Sprintf("%d replicas ready, %d desired: the rest are going", w.ready, w.desired)
			}
			for _, c := range st.Conditions {
				if c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse {
					w.why += "; " + c.Reason + ": " + c.Message
				}
			}
		}
	case "StatefulSet":
		var ss *appsv1.StatefulSet
		if ss, err = apps.StatefulSets(o.Namespace).Get(ctx, o.Name, metav1.GetOptions{}); err == nil {
			w.selector = ss.Spec.Selector
			w.desired = int(ptrOr(ss.Spec.Replicas, 1))
			st := ss.Status
			w.ready = int(st.ReadyReplicas)
			switch {
			case st.ObservedGeneration < ss.Generation:
				w.why = "rollout not yet observed by the controller"
			case w.ready < w.desired:
				w.why = fmt.Sprintf("%d of %d replicas ready", w.ready, w.desired)
			case ss.Spec.UpdateStrategy.Type == appsv1.RollingUpdateStatefulSetStrategyType && st.UpdateRevision != st.CurrentRevision && int(st.UpdatedReplicas) < w.desired:
				w.why = fmt.Sprintf("%d of %d replicas updated", st.UpdatedReplicas, w.desired)
			}
		}
	case "DaemonSet":
		var ds *appsv1.DaemonSet
		if ds, err = apps.DaemonSets(o.Namespace).Get(ctx, o.Name, metav1.GetOptions{}); err == nil {
			w.selector = ds.Spec.Selector
			st := ds.Status
			w.desired, w.ready = int(st.DesiredNumberScheduled), int(st.NumberReady)
			switch {
			case st.ObservedGeneration < ds.Generation:
				w.why = "rollout not yet observed by the controller"
			case int(st.UpdatedNumberScheduled) < w.desired:
				w.why = fmt.Sprintf("%d of %d pods updated", st.UpdatedNumberScheduled, w.desired)
			case int(st.NumberAvailable) < w.desired:
				w.why = fmt.Sprintf("%d of %d pods available", st.NumberAvailable, w.desired)
			}
		}
	default:
		return w, fmt.Errorf("workload kind %q", o.Kind)
	}
	if apierrors.IsNotFound(err) {
		w.why = "not found (deleted outside Helm?)"
		return w, nil
	}
	if err != nil {
		return w, fmt.Errorf("read %s in namespace %q: %w", o, o.Namespace, err)
	}
	w.done = w.why == ""
	return w, nil
}

func ptrOr(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}

// endpoints reads the release's Services and Ingresses. Hosts are cluster DNS names and
// Ingress hosts, never IP addresses.
func endpoints(ctx context.Context, s *session, entries []object) ([]providers.Endpoint, error) {
	out := []providers.Endpoint{}
	for _, o := range entries {
		switch o.Kind {
		case "Service":
			svc, err := s.kube.CoreV1().Services(o.Namespace).Get(ctx, o.Name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("read %s in namespace %q: %w", o, o.Namespace, err)
			}
			host := svc.Name + "." + svc.Namespace + ".svc"
			if svc.Spec.Type == corev1.ServiceTypeExternalName {
				host = svc.Spec.ExternalName
			}
			for _, port := range svc.Spec.Ports {
				name := svc.Name
				if port.Name != "" {
					name += ":" + port.Name
				}
				out = append(out, providers.Endpoint{Name: name, Kind: "Service", Host: host, Port: int(port.Port), Protocol: strings.ToLower(string(port.Protocol))})
			}
		case "Ingress":
			ing, err := s.kube.NetworkingV1().Ingresses(o.Namespace).Get(ctx, o.Name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("read %s in namespace %q: %w", o, o.Namespace, err)
			}
			out = append(out, ingressEndpoints(ing)...)
		}
	}
	return out, nil
}

func ingressEndpoints(ing *networkingv1.Ingress) []providers.Endpoint {
	tls := map[string]bool{}
	for _, t := range ing.Spec.TLS {
		for _, h := range t.Hosts {
			tls[h] = true
		}
	}
	var out []providers.Endpoint
	seen := map[string]bool{}
	for _, r := range ing.Spec.Rules {
		if r.Host == "" || seen[r.Host] {
			continue
		}
		seen[r.Host] = true
		ep := providers.Endpoint{Name: ing.Name, Kind: "Ingress", Host: r.Host, Port: 80, Protocol: "http"}
		if tls[r.Host] {
			ep.Port, ep.Protocol = 443, "https"
		}
		out = append(out, ep)
	}
	return out
}

// observe reads what runs for rel: its revision and status, one role per workload and its
// endpoints. Roles and Endpoints are non-nil (empty when the release has none).
func observe(ctx context.Context, s *session, rel *release.Release) (*providers.Observed, []workload, error) {
	rev, st := rel.Version, string(status(rel))
	obs := &providers.Observed{Revision: &rev, ReleaseStatus: &st, Roles: []providers.Role{}, Endpoints: []providers.Endpoint{}}
	if v := rel.Labels[LabelVersionID]; v != "" {
		obs.VersionID = &v
	}
	if status(rel) == release.StatusUninstalled {
		return obs, nil, nil
	}
	wls, entries := manifestObjects(rel.Manifest, rel.Namespace)
	var states []workload
	for _, o := range wls {
		w, err := readWorkload(ctx, s, o)
		if err != nil {
			return nil, nil, err
		}
		states = append(states, w)
		role := providers.Role{Role: o.Name, Kind: o.Kind, Count: w.desired, Ready: w.ready}
		if !w.done {
			role.Message = w.why
		}
		obs.Roles = append(obs.Roles, role)
	}
	eps, err := endpoints(ctx, s, entries)
	if err != nil {
		return nil, nil, err
	}
	obs.Endpoints = eps
	return obs, states, nil
}
