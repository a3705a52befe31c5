package helm

import (
	"context"
	"fmt"
	"log/slog"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/kube"
	"k8s.io/client-go/kubernetes"

	"github.com/pitrix/pitrix/providers"
)

// Name is the provider's word in the API.
const Name = "kubernetes"

// Provider runs Helm charts on Kubernetes clusters named by kubeconfig credentials. It holds
// no per-cluster state: every call builds its clients from the credential it is handed, so
// one Provider serves any number of runtimes and is safe for concurrent use.
type Provider struct {
	cfg Config
	log *slog.Logger
}

var _ providers.Operator = (*Provider)(nil)

// New returns a Provider. Unless cfg.KeepKlog is set it routes client-go's process-global
// klog output onto cfg.Logger.
func New(cfg Config) (*Provider, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Provider{cfg: cfg, log: cfg.Logger.With("component", "helm")}
	if !cfg.KeepKlog {
		routeKlog(p.log)
	}
	return p, nil
}

// Name implements providers.Provider.
func (p *Provider) Name() string { return Name }

// AppType implements providers.Provider.
func (p *Provider) AppType() string { return providers.AppTypeHelm }

// NeedsCredential implements providers.Provider: a runtime needs a kubeconfig.
func (p *Provider) NeedsCredential() bool { return true }

// Zones implements providers.Provider. Zones are namespaces, which depend on the credential,
// so none are offered up front.
func (p *Provider) Zones(context.Context) []string { return nil }

// session is the clients of one credential and namespace, built for one call.
type session struct {
	kc        *kubeconfig
	namespace string
	getter    *restGetter
	kube      kubernetes.Interface
}

// open parses cred and builds the clients for namespace. Errors wrap ErrKubeconfig.
func (p *Provider) open(cred providers.Credential, namespace string) (*session, error) {
	kc, err := parseKubeconfig(cred.Content, cred.URL)
	if err != nil {
		return nil, err
	}
	rc, err := p.restConfig(kc, namespace)
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("%w: context %q: %w", ErrKubeconfig, kc.context, err)
	}
	return &session{
		kc:        kc,
		namespace: namespace,
		getter:    &restGetter{kc: kc, rc: rc, namespace: namespace},
		kube:      cs,
	}, nil
}

// helm returns a Helm action configuration storing releases as Secrets in the session's
// namespace, logging onto the provider's logger.
func (p *Provider) helm(s *session) (*action.Configuration, error) {
	cfg := new(action.Configuration)
	if err := cfg.Init(s.getter, s.namespace, "secret", helmLog(p.log)); err != nil {
		return nil, fmt.Errorf("helm: init action config for namespace %q: %w", s.namespace, err)
	}
	if kc, ok := cfg.KubeClient.(*kube.Client); ok {
		kc.Namespace = s.namespace
	}
	return cfg, nil
}
