package helm

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/helm/chart"
	"github.com/pitrix/pitrix/providers/pkgfile"
	helmchart "helm.sh/helm/v3/pkg/chart"
)

func TestMain(m *testing.M) {
	// klog is process-global: tests keep it off their per-test loggers (Config.KeepKlog) and
	// send it nowhere, as New would send it to the program's logger.
	routeKlog(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}

const defaultKubeconfig = "/tmp/pitrix-k8s/kubeconfig"

// testKubeconfig returns the test cluster's kubeconfig, self-contained (files inlined), as
// a user would paste it. Without a cluster it skips, except in CI where it fails.
func testKubeconfig(t testing.TB) string {
	t.Helper()
	path := os.Getenv("PITRIX_KUBECONFIG")
	if path == "" {
		path = os.Getenv("KUBECONFIG")
	}
	if path == "" {
		path = defaultKubeconfig
	}
	if _, err := os.Stat(path); err != nil {
		msg := fmt.Sprintf("no Kubernetes test cluster: kubeconfig %s: %v (make test starts one: make test-deps; or set PITRIX_KUBECONFIG)", path, err)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatalf("load kubeconfig %s: %v", path, err)
	}
	if err := clientcmdapi.FlattenConfig(cfg); err != nil {
		t.Fatalf("flatten kubeconfig %s: %v", path, err)
	}
	raw, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatalf("write kubeconfig: %v", err)
	}
	return string(raw)
}

// adminClient is a client-go clientset of kubeconfig, for checking the cluster directly.
func adminClient(t testing.TB, kubeconfig string) kubernetes.Interface {
	t.Helper()
	rc, err := clientcmd.RESTConfigFromKubeConfig([]byte(kubeconfig))
	if err != nil {
		t.Fatalf("rest config: %v", err)
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatalf("clientset: %v", err)
	}
	return cs
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func newTestProvider(t testing.TB, cfg Config) *Provider {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	cfg.KeepKlog = true
	if cfg.OpTimeout == 0 {
		cfg.OpTimeout = time.Minute
	}
	if cfg.WaitTimeout == 0 {
		cfg.WaitTimeout = 90 * time.Second
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 200 * time.Millisecond
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

func randomSuffix(t testing.TB) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// testNamespace names a fresh namespace for t and deletes it (if created) when t ends.
func testNamespace(t testing.TB, admin kubernetes.Interface) string {
	t.Helper()
	ns := "pitrix-helm-" + randomSuffix(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := admin.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete namespace %s: %v", ns, err)
		}
	})
	return ns
}

// createNamespace creates a namespace for t with the admin client.
func createNamespace(t testing.TB, admin kubernetes.Interface) string {
	t.Helper()
	ns := testNamespace(t, admin)
	if _, err := admin.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace %s: %v", ns, err)
	}
	return ns
}

// webChart builds a tiny chart: a Deployment (replicas, image and nodeSelector from values)
// and a Service, with a values schema.
func webChart(t testing.TB, version string) []byte {
	t.Helper()
	files := map[string][]byte{
		"Chart.yaml":  []byte("apiVersion: v2\nname: web\nversion: " + version + "\nappVersion: \"1.0\"\n"),
		"values.yaml": []byte("replicas: 2\nimage: nginx:1.27\nnodeSelector: {}\n"),
		"values.schema.json": []byte(`{
  "type": "object",
  "properties": {
    "replicas": {"type": "integer", "minimum": 0, "maximum": 20},
    "image": {"type": ["string", "null"]},
    "nodeSelector": {"type": "object"}
  }
}`),
		"templates/deployment.yaml": []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
  labels:
    app.kubernetes.io/instance: {{ .Release.Name }}
    chart-version: {{ .Chart.Version | quote }}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels:
      app: {{ .Release.Name }}-web
  template:
    metadata:
      labels:
        app: {{ .Release.Name }}-web
    spec:
      {{- with .Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: web
          image: {{ required "image is required" .Values.image | quote }}
          ports:
            - containerPort: 80
`),
		"templates/ingress.yaml": []byte(`{{- if .Values.ingressHost }}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ .Release.Name }}-web
spec:
  rules:
    - host: {{ .Values.ingressHost | quote }}
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: {{ .Release.Name }}-web
                port:
                  number: 80
{{- end }}
`),
		"templates/statefulset.yaml": []byte(`{{- if .Values.statefulset }}
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ .Release.Name }}-db
spec:
  replicas: 1
  serviceName: {{ .Release.Name }}-web
  selector:
    matchLabels:
      app: {{ .Release.Name }}-db
  template:
    metadata:
      labels:
        app: {{ .Release.Name }}-db
    spec:
      containers:
        - name: db
          image: postgres:17
          volumeMounts:
            - name: data
              mountPath: /var/lib/postgresql
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: ["ReadWriteOnce"]
        resources:
          requests:
            storage: 1Gi
{{- end }}
`),
		"templates/service.yaml": []byte(`apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}-web
spec:
  selector:
    app: {{ .Release.Name }}-web
  ports:
    - name: http
      port: 80
      targetPort: 80
`),
	}
	var b bytes.Buffer
	if err := pkgfile.Write(&b, "web", files); err != nil {
		t.Fatalf("write chart: %v", err)
	}
	return b.Bytes()
}

// runner runs plans the way the job engine does: layer by layer, each task under its
// timeout, retrying transient failures up to its attempts, packages from a map.
type runner struct {
	t       testing.TB
	p       *Provider
	cluster providers.ClusterSpec
	rt      providers.RuntimeSpec
	pkgs    map[string][]byte
	jobs    int
}

type ran struct {
	task providers.Task
	res  providers.TaskResult
}

func (r *runner) pkg(_ context.Context, versionID string) ([]byte, error) {
	b, ok := r.pkgs[versionID]
	if !ok {
		return nil, providers.Permanent(fmt.Errorf("no package for version %q", versionID))
	}
	return b, nil
}

// run plans action with params and executes the plan; it returns what ran and the first
// error.
func (r *runner) run(action string, params any) ([]ran, error) {
	r.t.Helper()
	var raw json.RawMessage
	if params != nil {
		b, err := json.Marshal(params)
		if err != nil {
			r.t.Fatal(err)
		}
		raw = b
	}
	plan, err := r.p.Plan(providers.PlanRequest{Action: action, Cluster: r.cluster, Runtime: r.rt, Params: raw})
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", action, err)
	}
	r.jobs++
	job := fmt.Sprintf("j%d", r.jobs)
	var out []ran
	for li, layer := range plan.Layers {
		for ti, spec := range layer {
			task := providers.Task{
				ID: fmt.Sprintf("%s-%d-%d", job, li, ti), JobID: job, Spec: spec,
				Cluster: r.cluster, Runtime: r.rt, Package: r.pkg,
			}
			res, err := r.exec(task)
			if err != nil {
				return out, fmt.Errorf("%s task %s (%s): %w", action, task.ID, spec.Action, err)
			}
			r.t.Logf("%s %s: %s", task.ID, spec.Action, res.Output)
			r.observe(res.Observed)
			out = append(out, ran{task, res})
		}
	}
	return out, nil
}

// exec runs one task with the engine's timeout and retry rules.
func (r *runner) exec(task providers.Task) (providers.TaskResult, error) {
	attempts := task.Spec.Attempts
	if attempts == 0 {
		attempts = 3
	}
	timeout := task.Spec.Timeout
	if timeout == 0 {
		timeout = 10 * time.Minute
	}
	var err error
	for a := 1; a <= attempts; a++ {
		task.Attempt = a
		ctx, cancel := context.WithTimeout(r.t.Context(), timeout)
		var res providers.TaskResult
		res, err = r.p.Execute(ctx, task)
		cancel()
		if err == nil || errors.Is(err, providers.ErrPermanent) {
			return res, err
		}
		r.t.Logf("task %s attempt %d: %v", task.ID, a, err)
	}
	return providers.TaskResult{}, err
}

func (r *runner) observe(o *providers.Observed) {
	if o == nil {
		return
	}
	if o.Revision != nil {
		r.cluster.Revision = *o.Revision
	}
	if o.VersionID != nil {
		r.cluster.VersionID = *o.VersionID
	}
}

// last returns the Observed of the last task that reported one.
func lastObserved(rs []ran) *providers.Observed {
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i].res.Observed != nil {
			return rs[i].res.Observed
		}
	}
	return nil
}

func contains(t testing.TB, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

func loadTestChart(tgz []byte) (any, *helmchart.Chart, error) {
	info, ch, err := chart.Load(tgz)
	return info, ch, err
}
