package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/kube"
	"helm.sh/helm/v3/pkg/storage/driver"
	"k8s.io/client-go/kubernetes"
)

// directSide installs the chart with the Helm SDK, as `helm install --wait` would.
type directSide struct {
	cfg       Config
	kube      kubernetes.Interface
	watch     *readyWatch
	namespace string
	tgz       []byte // the chart archive as the repo serves it
	log       *slog.Logger
}

// config returns a fresh Helm action configuration over its own getter: every iteration
// starts as a new `helm` process would (discovery included), as each provider task does.
func (d *directSide) config() (*action.Configuration, error) {
	g, err := newGetter(d.cfg.Kubeconfig, d.namespace)
	if err != nil {
		return nil, err
	}
	cfg := new(action.Configuration)
	logf := func(format string, v ...any) { d.log.Debug(fmt.Sprintf(format, v...), "component", "helm") }
	if err := cfg.Init(g, d.namespace, "secret", logf); err != nil {
		return nil, fmt.Errorf("helm: init action config for namespace %q: %w", d.namespace, err)
	}
	if kc, ok := cfg.KubeClient.(*kube.Client); ok {
		kc.Namespace = d.namespace
	}
	return cfg, nil
}

// once installs release name with Wait: true, confirms its Deployment has every desired
// replica ready, then uninstalls it.
func (d *directSide) once(parent context.Context, name string) (s Sample, err error) {
	ctx, cancel := context.WithTimeout(parent, d.cfg.Timeout)
	defer cancel()
	s = Sample{Side: sideDirect, Release: name}
	t0 := time.Now()
	cfg, err := d.config()
	if err != nil {
		return s, err
	}
	ch, err := loader.LoadArchive(bytes.NewReader(d.tgz))
	if err != nil {
		return s, fmt.Errorf("load chart archive: %w", err)
	}
	inst := action.NewInstall(cfg)
	inst.ReleaseName, inst.Namespace = name, d.namespace
	inst.Wait, inst.Timeout = true, d.cfg.Timeout
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(parent), d.cfg.Timeout)
		defer cancel()
		err = errors.Join(err, d.cleanup(cctx, cfg, name))
	}()
	if _, err := inst.RunWithContext(ctx, ch, map[string]any{"replicaCount": d.cfg.Replicas}); err != nil {
		return s, fmt.Errorf("helm install %s: %w", name, err)
	}
	s.Installed = secs(time.Since(t0))
	// Helm's Wait accepts maxUnavailable fewer ready replicas than desired; the API side waits
	// for all of them. Usually this returns at the first read.
	if err := waitReady(ctx, d.kube, d.namespace, name, d.cfg.PollInterval); err != nil {
		return s, fmt.Errorf("release %s ready: %w", name, err)
	}
	s.Total = secs(time.Since(t0))
	if at, ok := d.watch.readyAt(name); ok {
		s.K8sReady = secs(at.Sub(t0))
	}
	return s, nil
}

// cleanup uninstalls the release (purging its history) and waits until its objects are gone.
func (d *directSide) cleanup(ctx context.Context, cfg *action.Configuration, name string) error {
	un := action.NewUninstall(cfg)
	un.Timeout = d.cfg.Timeout
	if _, err := un.Run(name); err != nil && !errors.Is(err, driver.ErrReleaseNotFound) {
		return fmt.Errorf("helm uninstall %s: %w", name, err)
	}
	if err := waitGone(ctx, d.kube, d.namespace, name); err != nil {
		return fmt.Errorf("clean up release %s: objects left: %w", name, err)
	}
	return nil
}
