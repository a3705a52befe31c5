package helm

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// maxKubeconfig bounds the size of a kubeconfig we parse.
const maxKubeconfig = 1 << 20

// ErrKubeconfig marks a kubeconfig that does not parse or is not usable here.
var ErrKubeconfig = errors.New("helm: bad kubeconfig")

// kubeconfig is a parsed, checked credential.
type kubeconfig struct {
	raw     *clientcmdapi.Config
	context string // the context in use
	server  string // the API server URL of that context
}

// parseKubeconfig parses a credential's kubeconfig and checks the context it names (URL; the
// current context when empty). Kubeconfigs come from users, so anything that would make the
// control plane read its own files or run programs is refused: exec and auth-provider
// plugins, and file paths for certificates, keys and tokens (inline *-data fields are fine).
func parseKubeconfig(content, contextName string) (*kubeconfig, error) {
	if strings.TrimSpace(content) == "" {
		return nil, fmt.Errorf("%w: empty", ErrKubeconfig)
	}
	if len(content) > maxKubeconfig {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrKubeconfig, len(content), maxKubeconfig)
	}
	raw, err := clientcmd.Load([]byte(content))
	if err != nil {
		return nil, fmt.Errorf("%w: does not parse: %w", ErrKubeconfig, err)
	}
	name := contextName
	if name == "" {
		name = raw.CurrentContext
	}
	if name == "" {
		return nil, fmt.Errorf("%w: no current-context and no context named", ErrKubeconfig)
	}
	kctx, ok := raw.Contexts[name]
	if !ok || kctx == nil {
		return nil, fmt.Errorf("%w: context %q not found (have %s)", ErrKubeconfig, name, keys(raw.Contexts))
	}
	cl, ok := raw.Clusters[kctx.Cluster]
	if !ok || cl == nil {
		return nil, fmt.Errorf("%w: context %q: cluster %q not found", ErrKubeconfig, name, kctx.Cluster)
	}
	if cl.Server == "" {
		return nil, fmt.Errorf("%w: cluster %q has no server", ErrKubeconfig, kctx.Cluster)
	}
	u, err := url.Parse(cl.Server)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%w: cluster %q: server %q is not an http(s) URL", ErrKubeconfig, kctx.Cluster, cl.Server)
	}
	if cl.CertificateAuthority != "" {
		return nil, fmt.Errorf("%w: cluster %q: certificate-authority names a file; use certificate-authority-data", ErrKubeconfig, kctx.Cluster)
	}
	if kctx.AuthInfo != "" {
		ai, ok := raw.AuthInfos[kctx.AuthInfo]
		if !ok || ai == nil {
			return nil, fmt.Errorf("%w: context %q: user %q not found", ErrKubeconfig, name, kctx.AuthInfo)
		}
		switch {
		case ai.Exec != nil:
			return nil, fmt.Errorf("%w: user %q: exec credential plugins are not allowed; use a token or client certificate", ErrKubeconfig, kctx.AuthInfo)
		case ai.AuthProvider != nil:
			return nil, fmt.Errorf("%w: user %q: auth-provider plugins are not allowed; use a token or client certificate", ErrKubeconfig, kctx.AuthInfo)
		case ai.ClientCertificate != "" || ai.ClientKey != "":
			return nil, fmt.Errorf("%w: user %q: client-certificate/client-key name files; use the *-data fields", ErrKubeconfig, kctx.AuthInfo)
		case ai.TokenFile != "":
			return nil, fmt.Errorf("%w: user %q: tokenFile names a file; use token", ErrKubeconfig, kctx.AuthInfo)
		}
	}
	// Only the context in use is kept, so nothing else in the file is ever consulted.
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[kctx.Cluster] = cl
	if kctx.AuthInfo != "" {
		cfg.AuthInfos[kctx.AuthInfo] = raw.AuthInfos[kctx.AuthInfo]
	}
	cfg.Contexts[name] = kctx
	cfg.CurrentContext = name
	kc := &kubeconfig{raw: cfg, context: name, server: cl.Server}
	if _, err := kc.clientConfig("default").ClientConfig(); err != nil {
		return nil, fmt.Errorf("%w: context %q: %w", ErrKubeconfig, name, err)
	}
	return kc, nil
}

func keys[V any](m map[string]V) string {
	if len(m) == 0 {
		return "none"
	}
	out := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, strconv.Quote(k))
	}
	return strings.Join(out, ", ")
}

// clientConfig is the kubeconfig's context with namespace as its default namespace.
func (k *kubeconfig) clientConfig(namespace string) clientcmd.ClientConfig {
	over := &clientcmd.ConfigOverrides{CurrentContext: k.context}
	over.Context.Namespace = namespace
	return clientcmd.NewNonInteractiveClientConfig(*k.raw, k.context, over, nil)
}

// restConfig returns the client-go config for namespace with the provider's limits.
func (p *Provider) restConfig(k *kubeconfig, namespace string) (*rest.Config, error) {
	rc, err := k.clientConfig(namespace).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("%w: context %q: %w", ErrKubeconfig, k.context, err)
	}
	rc.QPS = p.cfg.KubeQPS
	rc.Burst = p.cfg.KubeBurst
	rc.Timeout = p.cfg.RequestTimeout
	rc.UserAgent = "pitrix-helm"
	rc.WarningHandler = warningLogger{p.log}
	if p.cfg.Dial != nil {
		rc.Dial = p.cfg.Dial
		rc.Proxy = func(*http.Request) (*url.URL, error) { return nil, nil }
	}
	return rc, nil
}

// restGetter hands Helm (and kubectl's factory under it) clients of one kubeconfig context
// and namespace. It implements genericclioptions.RESTClientGetter.
type restGetter struct {
	kc        *kubeconfig
	rc        *rest.Config
	namespace string

	mu     sync.Mutex
	dc     discovery.CachedDiscoveryInterface
	mapper meta.RESTMapper
}

func (g *restGetter) ToRESTConfig() (*rest.Config, error) { return rest.CopyConfig(g.rc), nil }

func (g *restGetter) ToDiscoveryClient() (discovery.CachedDiscoveryInterface, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.dc == nil {
		c := rest.CopyConfig(g.rc)
		c.Burst = max(c.Burst, 100) // discovery fans out over every group version
		d, err := discovery.NewDiscoveryClientForConfig(c)
		if err != nil {
			return nil, err
		}
		g.dc = memory.NewMemCacheClient(d)
	}
	return g.dc, nil
}

func (g *restGetter) ToRESTMapper() (meta.RESTMapper, error) {
	dc, err := g.ToDiscoveryClient()
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.mapper == nil {
		g.mapper = restmapper.NewShortcutExpander(restmapper.NewDeferredDiscoveryRESTMapper(dc), dc, nil)
	}
	return g.mapper, nil
}

func (g *restGetter) ToRawKubeConfigLoader() clientcmd.ClientConfig {
	return g.kc.clientConfig(g.namespace)
}
