package helm

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/pitrix/pitrix/providers"
)

// withUser rewrites kubeconfig to use server and a bearer token (and, when ca is not nil,
// that CA).
func withUser(t *testing.T, kubeconfig, server, token string, ca []byte) string {
	t.Helper()
	cfg, err := clientcmd.Load([]byte(kubeconfig))
	if err != nil {
		t.Fatal(err)
	}
	kctx := cfg.Contexts[cfg.CurrentContext]
	cl := cfg.Clusters[kctx.Cluster]
	if server != "" {
		cl.Server = server
	}
	if ca != nil {
		cl.CertificateAuthorityData = ca
	}
	if token != "" {
		ai := cfg.AuthInfos[kctx.AuthInfo]
		ai.Token = token
		ai.ClientCertificateData, ai.ClientKeyData = nil, nil
	}
	raw, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// otherCA is the PEM of a CA that signed nothing the test cluster serves.
func otherCA(t *testing.T) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "not-the-cluster-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestValidateCredential(t *testing.T) {
	good := testKubeconfig(t)
	p := newTestProvider(t, Config{})
	cases := []struct {
		name    string
		cred    providers.Credential
		wantErr []string // empty: must succeed
	}{
		{"good", providers.Credential{Content: good}, nil},
		{"good named context", providers.Credential{Content: good, URL: currentContext(t, good)}, nil},
		{"unknown context", providers.Credential{Content: good, URL: "nope"}, []string{`context "nope" not found`}},
		{"garbage", providers.Credential{Content: "{{{ this is not yaml"}, []string{"bad kubeconfig", "does not parse"}},
		{"empty", providers.Credential{Content: "  "}, []string{"bad kubeconfig: empty"}},
		{"unreachable", providers.Credential{Content: withUser(t, good, "https://127.0.0.1:1", "", nil)}, []string{"https://127.0.0.1:1", "connection refused"}},
		{"wrong CA", providers.Credential{Content: withUser(t, good, "", "", otherCA(t))}, []string{"TLS", "not signed"}},
		{"bad token", providers.Credential{Content: withUser(t, good, "", "not-a-token", nil)}, []string{"401"}},
		{"exec plugin", providers.Credential{Content: strings.Replace(withUser(t, good, "", "x", nil), "token: x", "exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /bin/sh", 1)}, []string{"exec credential plugins are not allowed"}},
		{"file reference", providers.Credential{Content: strings.Replace(good, "certificate-authority-data:", "certificate-authority: /etc/passwd\n    x-unused:", 1)}, []string{"certificate-authority names a file"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := p.ValidateCredential(t.Context(), tc.cred)
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("ValidateCredential: %v", err)
				}
				return
			}
			contains(t, err, tc.wantErr...)
			if !errors.Is(err, providers.ErrInvalidCredential) {
				t.Errorf("error %v does not wrap ErrInvalidCredential", err)
			}
			t.Logf("error: %v", err)
		})
	}
}

func currentContext(t *testing.T, kubeconfig string) string {
	cfg, err := clientcmd.Load([]byte(kubeconfig))
	if err != nil {
		t.Fatal(err)
	}
	return cfg.CurrentContext
}

func TestValidateRuntime(t *testing.T) {
	good := testKubeconfig(t)
	admin := adminClient(t, good)
	p := newTestProvider(t, Config{})

	t.Run("creates absent namespace", func(t *testing.T) {
		ns := testNamespace(t, admin)
		if err := p.ValidateRuntime(t.Context(), ns, providers.Credential{Content: good}); err != nil {
			t.Fatalf("ValidateRuntime: %v", err)
		}
		if _, err := admin.CoreV1().Namespaces().Get(t.Context(), ns, metav1.GetOptions{}); err != nil {
			t.Fatalf("namespace %s not created: %v", ns, err)
		}
		// Again: it exists now, and that is fine.
		if err := p.ValidateRuntime(t.Context(), ns, providers.Credential{Content: good}); err != nil {
			t.Fatalf("ValidateRuntime again: %v", err)
		}
	})

	t.Run("invalid namespace name", func(t *testing.T) {
		err := p.ValidateRuntime(t.Context(), "Not_A_Namespace", providers.Credential{Content: good})
		contains(t, err, `namespace "Not_A_Namespace" is not a valid namespace name`)
	})

	t.Run("token without rights", func(t *testing.T) {
		// A ServiceAccount with no RBAC at all: it authenticates, but may do nothing in the
		// target namespace and may not create namespaces.
		home := createNamespace(t, admin)
		sa, err := admin.CoreV1().ServiceAccounts(home).Create(t.Context(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "nobody"}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create service account: %v", err)
		}
		exp := int64(600)
		tok, err := admin.CoreV1().ServiceAccounts(home).CreateToken(t.Context(), sa.Name, &authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create token: %v", err)
		}
		cred := providers.Credential{Content: withUser(t, good, "", tok.Status.Token, nil)}
		if err := p.ValidateCredential(t.Context(), cred); err != nil {
			t.Fatalf("the token authenticates, ValidateCredential: %v", err)
		}
		// In its own (existing) namespace: the access checks fail, naming each right.
		err = p.ValidateRuntime(t.Context(), home, cred)
		contains(t, err, home, "system:serviceaccount:"+home+":nobody", "may not create deployments.apps", "list secrets")
		if !errors.Is(err, providers.ErrInvalidCredential) {
			t.Errorf("error %v does not wrap ErrInvalidCredential", err)
		}
		t.Logf("existing namespace: %v", err)
		// In an absent namespace: it may not read namespaces, nor create them.
		absent := testNamespace(t, admin)
		err = p.ValidateRuntime(t.Context(), absent, cred)
		contains(t, err, absent, "may not create deployments.apps", "may not read namespaces", "may not create namespaces")
		t.Logf("absent namespace: %v", err)

		// A task run with it fails permanently: forbidden is not retried.
		plan, err := p.Plan(providers.PlanRequest{Action: providers.ActionCreate,
			Cluster: providers.ClusterSpec{ID: "cl-forbidden", VersionID: "v1"}, Runtime: providers.RuntimeSpec{Zone: home}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Execute(t.Context(), providers.Task{ID: "t-1", Spec: plan.Layers[1][0],
			Runtime: providers.RuntimeSpec{Zone: home, Credential: cred},
			Package: func(context.Context, string) ([]byte, error) { return webChart(t, "0.1.0"), nil }})
		if !errors.Is(err, providers.ErrPermanent) {
			t.Fatalf("install with a powerless token: %v, want permanent", err)
		}
		contains(t, err, "forbidden")
		t.Logf("install: %v", err)
	})
}
