package helm

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/pitrix/pitrix/providers"
)

// TestDialIsUsed: with Config.Dial set, every connection to the API server goes through it
// (here a recorder that refuses, so nothing leaves the machine), and no proxy is used.
func TestDialIsUsed(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1") // must be ignored
	var mu sync.Mutex
	var dialled []string
	refuse := errors.New("refused by the test dialer")
	p, err := New(Config{Dial: func(_ context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		dialled = append(dialled, addr)
		mu.Unlock()
		return nil, refuse
	}})
	if err != nil {
		t.Fatal(err)
	}
	const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: meta
  cluster:
    server: https://169.254.169.254:6443
    insecure-skip-tls-verify: true
users:
- name: u
  user:
    token: t
contexts:
- name: c
  context:
    cluster: meta
    user: u
current-context: c
`
	err = p.ValidateCredential(t.Context(), providers.Credential{Content: kubeconfig})
	if err == nil {
		t.Fatal("ValidateCredential succeeded through a refusing dialer")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(dialled) == 0 {
		t.Fatalf("the dialer was not used (err %v)", err)
	}
	for _, a := range dialled {
		if a != "169.254.169.254:6443" {
			t.Errorf("dialled %s, want only the API server 169.254.169.254:6443 (no proxy)", a)
		}
	}
}

func TestBodyless(t *testing.T) {
	leaky := apierrors.NewGenericServerResponse(500, "GET", schema.GroupResource{}, "", "SECRET-BODY-FROM-METADATA", 0, true)
	if got := bodyless(leaky).Error(); got != "HTTP 500 Internal Server Error" {
		t.Fatalf("bodyless = %q", got)
	}
	other := errors.New("connection refused")
	if bodyless(other) != other {
		t.Fatal("bodyless changed a non-API error")
	}
}
