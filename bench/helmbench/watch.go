package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// instanceLabel is the label the chart puts on its objects: the release name.
const instanceLabel = "app.kubernetes.io/instance"

// readyWatch notes when each release's Deployment first had all desired replicas updated
// and ready, as a Deployment informer on the namespace sees it: the time Kubernetes itself
// took, with neither side's polling in it. Close stops the informer.
type readyWatch struct {
	stop    chan struct{}
	factory informers.SharedInformerFactory

	mu    sync.Mutex
	ready map[string]time.Time // release name → first seen ready
}

// startReadyWatch starts the informer on namespace and waits for its first list (bounded by
// ctx).
func startReadyWatch(ctx context.Context, cs kubernetes.Interface, namespace string) (*readyWatch, error) {
	w := &readyWatch{stop: make(chan struct{}), ready: map[string]time.Time{}}
	w.factory = informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(namespace))
	inf := w.factory.Apps().V1().Deployments().Informer()
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    w.see,
		UpdateFunc: func(_, obj any) { w.see(obj) },
	}); err != nil {
		return nil, fmt.Errorf("watch deployments in %q: %w", namespace, err)
	}
	w.factory.Start(w.stop)
	synced := make(chan struct{})
	stopSync := context.AfterFunc(ctx, func() { close(synced) })
	ok := cache.WaitForCacheSync(synced, inf.HasSynced)
	stopSync()
	if !ok {
		w.Close()
		return nil, fmt.Errorf("watch deployments in %q: no first list: %w", namespace, ctx.Err())
	}
	return w, nil
}

func (w *readyWatch) see(obj any) {
	d, ok := obj.(*appsv1.Deployment)
	if !ok || !deploymentReady(d) {
		return
	}
	now := time.Now()
	name := d.Labels[instanceLabel]
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, seen := w.ready[name]; !seen {
		w.ready[name] = now
	}
}

// deploymentReady is the readiness both sides wait for: the controller has seen the newest
// spec and every desired replica is updated and ready, with no old ones left.
func deploymentReady(d *appsv1.Deployment) bool {
	desired := int32(1)
	if d.Spec.Replicas != nil {
		desired = *d.Spec.Replicas
	}
	st := d.Status
	return st.ObservedGeneration >= d.Generation && st.UpdatedReplicas == desired &&
		st.ReadyReplicas == desired && st.Replicas == desired
}

// readyAt returns when release's Deployment was first seen ready.
func (w *readyWatch) readyAt(release string) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, ok := w.ready[release]
	return t, ok
}

// Close stops the informer and waits for its goroutines.
func (w *readyWatch) Close() {
	close(w.stop)
	w.factory.Shutdown()
}

// waitReady polls release's Deployments every interval until all of them are ready, at least
// one exists, or ctx ends.
func waitReady(ctx context.Context, cs kubernetes.Interface, namespace, release string, interval time.Duration) error {
	last := "no deployment"
	return poll(ctx, interval, func() (bool, error) {
		ds, err := cs.AppsV1().Deployments(namespace).List(ctx, metav1.ListOptions{LabelSelector: instanceLabel + "=" + release})
		if err != nil {
			return false, nil // a blip: keep polling until ctx ends
		}
		if len(ds.Items) == 0 {
			return false, nil
		}
		for i := range ds.Items {
			if d := &ds.Items[i]; !deploymentReady(d) {
				last = fmt.Sprintf("deployment %s: %d/%d ready", d.Name, d.Status.ReadyReplicas, *d.Spec.Replicas)
				return false, nil
			}
		}
		return true, nil
	}, func() string { return last })
}

// waitGone polls until no pod, Deployment or Service of release is left in namespace, so the
// next iteration starts on an empty namespace.
func waitGone(ctx context.Context, cs kubernetes.Interface, namespace, release string) error {
	opts := metav1.ListOptions{LabelSelector: instanceLabel + "=" + release}
	last := ""
	return poll(ctx, 100*time.Millisecond, func() (bool, error) {
		pods, err := cs.CoreV1().Pods(namespace).List(ctx, opts)
		if err != nil {
			return false, nil
		}
		deps, err := cs.AppsV1().Deployments(namespace).List(ctx, opts)
		if err != nil {
			return false, nil
		}
		svcs, err := cs.CoreV1().Services(namespace).List(ctx, opts)
		if err != nil {
			return false, nil
		}
		last = fmt.Sprintf("%d pods, %d deployments, %d services left", len(pods.Items), len(deps.Items), len(svcs.Items))
		return len(pods.Items)+len(deps.Items)+len(svcs.Items) == 0, nil
	}, func() string { return last })
}

// poll calls cond every interval until it is true or fails, or ctx ends; then the error names
// what was last observed.
func poll(ctx context.Context, interval time.Duration, cond func() (bool, error), last func() string) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w; last: %s", ctx.Err(), last())
		case <-tick.C:
		}
	}
}
