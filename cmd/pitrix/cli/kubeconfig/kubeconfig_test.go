package kubeconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
)

// writeFiles writes files (path relative to dir → content). Relative paths in a kubeconfig
// written this way resolve in dir, not in the test's working directory.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// twoContexts is a kubeconfig whose current context "dev" names its CA and client
// certificate by relative paths and its key by an absolute one (KEY), and whose other context
// names a file that does not exist: minifying drops it before anything is read.
const twoContexts = `apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority: ca.crt
- name: prod-cluster
  cluster:
    server: https://127.0.0.2:6443
    certificate-authority: /nonexistent/prod-ca.crt
users:
- name: dev-user
  user:
    client-certificate: certs/client.crt
    client-key: KEY
- name: prod-user
  user:
    tokenFile: /nonexistent/token
contexts:
- name: dev
  context: {cluster: dev-cluster, user: dev-user, namespace: apps}
- name: prod
  context: {cluster: prod-cluster, user: prod-user}
`

func TestFlattenInlinesTheCurrentContextsFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyDir := t.TempDir()
	key := filepath.Join(keyDir, "client.key")
	writeFiles(t, dir, map[string]string{
		"ca.crt":           "CA PEM\n",
		"certs/client.crt": "CERT PEM\n",
		"config":           strings.Replace(twoContexts, "KEY", key, 1),
	})
	writeFiles(t, keyDir, map[string]string{"client.key": "KEY PEM\n"})

	out, err := Flatten(filepath.Join(dir, "config"))
	if err != nil {
		t.Fatalf("Flatten: %v", err)
	}
	cfg, err := clientcmd.Load(out)
	if err != nil {
		t.Fatalf("flattened kubeconfig does not load: %v\n%s", err, out)
	}
	if cfg.CurrentContext != "dev" || len(cfg.Contexts) != 1 || len(cfg.Clusters) != 1 || len(cfg.AuthInfos) != 1 {
		t.Fatalf("not minified to the current context:\n%s", out)
	}
	cl, ai := cfg.Clusters["dev-cluster"], cfg.AuthInfos["dev-user"]
	if cl == nil || ai == nil {
		t.Fatalf("current context's cluster or user missing:\n%s", out)
	}
	if string(cl.CertificateAuthorityData) != "CA PEM\n" || cl.CertificateAuthority != "" {
		t.Errorf("certificate-authority = %q, data %q", cl.CertificateAuthority, cl.CertificateAuthorityData)
	}
	if string(ai.ClientCertificateData) != "CERT PEM\n" || ai.ClientCertificate != "" {
		t.Errorf("client-certificate = %q, data %q", ai.ClientCertificate, ai.ClientCertificateData)
	}
	if string(ai.ClientKeyData) != "KEY PEM\n" || ai.ClientKey != "" {
		t.Errorf("client-key = %q, data %q", ai.ClientKey, ai.ClientKeyData)
	}
	if ns := cfg.Contexts["dev"].Namespace; ns != "apps" {
		t.Errorf("namespace = %q, want it kept", ns)
	}
	for _, leak := range []string{"prod", "nonexistent", dir} {
		if strings.Contains(string(out), leak) {
			t.Errorf("flattened kubeconfig holds %q:\n%s", leak, out)
		}
	}
}

func TestFlattenInlinesTokenFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"token": "  s3cret-token\n",
		"config": `apiVersion: v1
kind: Config
current-context: c
clusters: [{name: k, cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {tokenFile: token}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
`,
	})
	out, err := Flatten(filepath.Join(dir, "config"))
	if err != nil {
		t.Fatalf("Flatten: %v", err)
	}
	cfg, err := clientcmd.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if ai := cfg.AuthInfos["u"]; ai.Token != "s3cret-token" || ai.TokenFile != "" {
		t.Errorf("user = token %q tokenFile %q, want the file's token inlined", ai.Token, ai.TokenFile)
	}
	if !cfg.Clusters["k"].InsecureSkipTLSVerify {
		t.Errorf("insecure-skip-tls-verify lost:\n%s", out)
	}
}

func TestFlattenErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		config string
		files  map[string]string
		want   []string // substrings of the error; FILE is replaced by the temp dir
	}{
		{
			name:   "missing CA file",
			config: strings.Replace(strings.Replace(twoContexts, "KEY", "client.key", 1), "ca.crt", "missing/ca.crt", 1),
			files:  map[string]string{"certs/client.crt": "c", "client.key": "k"},
			want:   []string{`cluster "dev-cluster"`, "certificate-authority", "DIR/missing/ca.crt", "no such file"},
		},
		{
			name:   "missing client key",
			config: strings.Replace(twoContexts, "KEY", "nokey.pem", 1),
			files:  map[string]string{"ca.crt": "ca", "certs/client.crt": "c"},
			want:   []string{`user "dev-user"`, "client-key", "DIR/nokey.pem"},
		},
		{
			name:   "missing token file",
			config: strings.Replace(twoContexts, "current-context: dev", "current-context: prod", 1),
			files:  map[string]string{"prod-ca.crt": "x"},
			want:   []string{"/nonexistent/"},
		},
		{
			name:   "no current context",
			config: strings.Replace(twoContexts, "current-context: dev\n", "", 1),
			want:   []string{"DIR/config", "current-context must exist"},
		},
		{
			name:   "file and data both",
			config: strings.Replace(strings.Replace(twoContexts, "KEY", "client.key", 1), "certificate-authority: ca.crt", "certificate-authority: ca.crt\n    certificate-authority-data: Q0E=", 1),
			files:  map[string]string{"ca.crt": "ca"},
			want:   []string{"both certificate-authority and certificate-authority-data"},
		},
		{
			name:   "not YAML",
			config: "clusters: [",
			want:   []string{"load kubeconfig DIR/config"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			files := map[string]string{"config": tt.config}
			for k, v := range tt.files {
				files[k] = v
			}
			writeFiles(t, dir, files)
			out, err := Flatten(filepath.Join(dir, "config"))
			if err == nil {
				t.Fatalf("Flatten succeeded:\n%s", out)
			}
			for _, w := range tt.want {
				if w = strings.ReplaceAll(w, "DIR", dir); !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// FuzzFlatten: whatever the file holds, Flatten does not panic, and what it returns loads as
// a kubeconfig of one context that names no files.
func FuzzFlatten(f *testing.F) {
	f.Add([]byte(strings.Replace(twoContexts, "KEY", "ca.crt", 1)))
	f.Add([]byte("apiVersion: v1\nkind: Config\ncurrent-context: c\ncontexts: [{name: c, context: {cluster: k}}]\nclusters: [{name: k, cluster: {server: x, certificate-authority: ca.crt}}]\n"))
	f.Add([]byte("users: [{name: u, user: {tokenFile: ../../etc/hostname}}]"))
	f.Add([]byte("\x00\xff: ["))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"config": string(data), "ca.crt": "CA", "certs/client.crt": "C"})
		out, err := Flatten(filepath.Join(dir, "config"))
		if err != nil {
			return
		}
		cfg, err := clientcmd.Load(out)
		if err != nil {
			t.Fatalf("flattened output does not load: %v\n%s", err, out)
		}
		if len(cfg.Contexts) != 1 {
			t.Fatalf("%d contexts after minify", len(cfg.Contexts))
		}
		for _, cl := range cfg.Clusters {
			if cl.CertificateAuthority != "" {
				t.Fatalf("certificate-authority %q left", cl.CertificateAuthority)
			}
		}
		for _, ai := range cfg.AuthInfos {
			if ai.ClientCertificate != "" || ai.ClientKey != "" || ai.TokenFile != "" {
				t.Fatalf("file references left: %+v", ai)
			}
		}
	})
}
