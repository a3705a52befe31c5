package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/pitrix/pitrix/bench/benchkit"
	"github.com/pitrix/pitrix/http/client"
)

// Bounds of the run's fixed steps.
const (
	buildTimeout     = 10 * time.Minute
	startTimeout     = time.Minute
	namespaceTimeout = 2 * time.Minute
)

// run sets everything up, measures both sides alternately and tears everything down (the
// clusters and releases after each iteration; the namespace, the server, the chart repo and
// the temporary directory at the end) before it returns.
func run(ctx context.Context, cfg Config) (_ Report, err error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return Report{}, err
	}
	log := cfg.Logger
	if cfg.ChartDir == "" {
		root, err := moduleRoot(ctx)
		if err != nil {
			return Report{}, err
		}
		cfg.ChartDir = filepath.Join(root, "demo", "packages", "helm", "web")
	}
	dir, err := os.MkdirTemp("", "helmbench-")
	if err != nil {
		return Report{}, err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
	if cfg.Binary == "" {
		root, err := moduleRoot(ctx)
		if err != nil {
			return Report{}, err
		}
		cfg.Binary = filepath.Join(dir, "pitrix")
		log.Info("building pitrix", "out", cfg.Binary)
		if err := build(ctx, root, cfg.Binary); err != nil {
			return Report{}, err
		}
	}

	cs, err := clientset(cfg.Kubeconfig)
	if err != nil {
		return Report{}, err
	}
	ver, err := cs.Discovery().ServerVersion()
	if err != nil {
		return Report{}, fmt.Errorf("test Kubernetes API server not reachable: %w", err)
	}
	rc, _ := restConfig(cfg.Kubeconfig)

	repoDir := filepath.Join(dir, "repo")
	if err := os.Mkdir(repoDir, 0o755); err != nil {
		return Report{}, err
	}
	repo, err := startChartRepo(ctx, cfg.ChartDir, repoDir)
	if err != nil {
		return Report{}, err
	}
	defer repo.Close()

	startCtx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	srv, err := benchkit.StartServer(startCtx, cfg.Binary, filepath.Join(dir, "data"), []string{"--local-runtime=false", "--allow-fetch", "127.0.0.0/8"}, []string{"PITRIX_DEMO_SRC="}, log)
	if err != nil {
		return Report{}, err
	}
	defer func() { err = errors.Join(err, srv.Close()) }()
	tok, err := srv.Token()
	if err != nil {
		return Report{}, err
	}
	c, err := client.New(client.Config{Server: srv.URL(), Token: tok, UserAgent: "pitrix-helmbench"})
	if err != nil {
		return Report{}, err
	}
	defer c.CloseIdleConnections()

	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	ns := "helmbench-" + hex.EncodeToString(suffix)
	// The runtime's creation makes the namespace; it goes whatever happens after.
	defer func() { err = errors.Join(err, deleteNamespace(context.WithoutCancel(ctx), cs, ns)) }()
	api, err := setupAPI(startCtx, cfg, c, repo, ns)
	if err != nil {
		return Report{}, err
	}
	if _, err := cs.CoreV1().Namespaces().Get(startCtx, ns, metav1.GetOptions{}); err != nil {
		return Report{}, fmt.Errorf("the runtime's namespace %s: %w", ns, err)
	}
	watch, err := startReadyWatch(startCtx, cs, ns)
	if err != nil {
		return Report{}, err
	}
	defer watch.Close()
	streamCtx, stopStream := context.WithCancel(ctx)
	defer stopStream()
	jobs, err := benchkit.OpenJobStream(streamCtx, c)
	if err != nil {
		return Report{}, err
	}
	defer jobs.Close()
	api.kube, api.watch, api.jobs = cs, watch, jobs
	direct := &directSide{cfg: cfg, kube: cs, watch: watch, namespace: ns, tgz: repo.tgz, log: log}

	r := Report{Started: time.Now().UTC(), GoVersion: runtime.Version(), NumCPU: runtime.NumCPU(), Binary: cfg.Binary,
		KubeServer: rc.Host, KubeVersion: ver.GitVersion, Namespace: ns, Chart: repo.name + " " + repo.version,
		Replicas: cfg.Replicas, N: cfg.N, Warmup: cfg.Warmup, PollInterval: cfg.PollInterval.String()}
	for i := range cfg.Warmup + cfg.N {
		order := []string{sideAPI, sideDirect}
		if i%2 == 1 {
			order = []string{sideDirect, sideAPI}
		}
		for _, side := range order {
			var s Sample
			if side == sideAPI {
				s, err = api.once(ctx, fmt.Sprintf("bench-%d", i))
			} else {
				s, err = direct.once(ctx, fmt.Sprintf("direct-%d", i))
			}
			if err != nil {
				return Report{}, fmt.Errorf("%s iteration %d: %w", side, i, err)
			}
			s.Iter, s.Warmup = i, i < cfg.Warmup
			log.Info("iteration", "side", side, "iter", i, "warmup", s.Warmup, "total_s", fmt.Sprintf("%.3f", s.Total),
				"k8s_ready_s", fmt.Sprintf("%.3f", s.K8sReady))
			r.Samples = append(r.Samples, s)
		}
	}
	r.summarise()
	return r, nil
}

// moduleRoot is the folder of the go.mod the current directory belongs to.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("helmbench: not inside the pitrix module: run from its folder, or pass -bin and -chart")
	}
	return filepath.Dir(mod), nil
}

// build compiles cmd/pitrix of the module at root into out.
func build(ctx context.Context, root, out string) error {
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/pitrix")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/pitrix: %w\n%s", err, stderr.String())
	}
	return nil
}

// deleteNamespace deletes namespace and waits (bounded) until it is gone.
func deleteNamespace(ctx context.Context, cs kubernetes.Interface, ns string) error {
	ctx, cancel := context.WithTimeout(ctx, namespaceTimeout)
	defer cancel()
	err := cs.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete namespace %s: %w", ns, err)
	}
	last := "terminating"
	return poll(ctx, 200*time.Millisecond, func() (bool, error) {
		n, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		if err == nil {
			last = string(n.Status.Phase)
		}
		return false, nil
	}, func() string { return "namespace " + ns + " " + last })
}
