package main

import (
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Client-go limits of the direct side, the same as providers/helm's defaults, so neither side
// is throttled more than the other.
const (
	kubeQPS        = 20
	kubeBurst      = 40
	discoveryBurst = 100
	requestTimeout = 30 * time.Second
)

// loadKubeconfig reads the kubeconfig at path and returns it flattened: files it names
// (certificates, keys) inlined, as the control plane takes self-contained kubeconfigs only.
func loadKubeconfig(path string) (string, error) {
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return "", fmt.Errorf("load kubeconfig %s: %w", path, err)
	}
	if err := clientcmdapi.FlattenConfig(cfg); err != nil {
		return "", fmt.Errorf("flatten kubeconfig %s: %w", path, err)
	}
	b, err := clientcmd.Write(*cfg)
	if err != nil {
		return "", fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	return string(b), nil
}

// clientConfig is the kubeconfig's current context with namespace as its default namespace.
func clientConfig(kubeconfig, namespace string) (clientcmd.ClientConfig, error) {
	raw, err := clientcmd.Load([]byte(kubeconfig))
	if err != nil {
		return nil, fmt.Errorf("parse kubeconfig: %w", err)
	}
	over := &clientcmd.ConfigOverrides{}
	over.Context.Namespace = namespace
	return clientcmd.NewNonInteractiveClientConfig(*raw, raw.CurrentContext, over, nil), nil
}

// restConfig is the client-go config of kubeconfig's current context with the bench's limits.
func restConfig(kubeconfig string) (*rest.Config, error) {
	cc, err := clientConfig(kubeconfig, "")
	if err != nil {
		return nil, err
	}
	rc, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	rc.QPS, rc.Burst, rc.Timeout = kubeQPS, kubeBurst, requestTimeout
	rc.UserAgent = "pitrix-helmbench"
	rc.WarningHandler = rest.NoWarnings{}
	return rc, nil
}

// clientset returns a typed client of the kubeconfig's API server.
func clientset(kubeconfig string) (*kubernetes.Clientset, error) {
	rc, err := restConfig(kubeconfig)
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return cs, nil
}

// getter hands Helm clients of one kubeconfig context and namespace: a minimal
// genericclioptions.RESTClientGetter, with discovery cached in memory for its lifetime.
type getter struct {
	cc clientcmd.ClientConfig
	rc *rest.Config

	mu     sync.Mutex
	dc     discovery.CachedDiscoveryInterface
	mapper meta.RESTMapper
}

// newGetter returns a getter of kubeconfig's current context defaulting to namespace.
func newGetter(kubeconfig, namespace string) (*getter, error) {
	cc, err := clientConfig(kubeconfig, namespace)
	if err != nil {
		return nil, err
	}
	rc, err := restConfig(kubeconfig)
	if err != nil {
		return nil, err
	}
	return &getter{cc: cc, rc: rc}, nil
}

func (g *getter) ToRESTConfig() (*rest.Config, error) { return rest.CopyConfig(g.rc), nil }

func (g *getter) ToDiscoveryClient() (discovery.CachedDiscoveryInterface, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.dc == nil {
		c := rest.CopyConfig(g.rc)
		c.Burst = max(c.Burst, discoveryBurst) // discovery fans out over every group version
		d, err := discovery.NewDiscoveryClientForConfig(c)
		if err != nil {
			return nil, fmt.Errorf("discovery client: %w", err)
		}
		g.dc = memory.NewMemCacheClient(d)
	}
	return g.dc, nil
}

func (g *getter) ToRESTMapper() (meta.RESTMapper, error) {
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

func (g *getter) ToRawKubeConfigLoader() clientcmd.ClientConfig { return g.cc }
