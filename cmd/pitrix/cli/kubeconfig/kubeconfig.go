package kubeconfig

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Flatten reads the kubeconfig at path and returns it minified to its current context with
// the files that context references inlined. Errors name the kubeconfig and, for a file that
// cannot be read, the field and the file.
func Flatten(path string) ([]byte, error) {
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig %s: %w", path, err)
	}
	if err := clientcmdapi.MinifyConfig(cfg); err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	for name, cl := range cfg.Clusters {
		if err := inline(path, "cluster", name, "certificate-authority", &cl.CertificateAuthority, &cl.CertificateAuthorityData); err != nil {
			return nil, err
		}
	}
	for name, ai := range cfg.AuthInfos {
		if err := inline(path, "user", name, "client-certificate", &ai.ClientCertificate, &ai.ClientCertificateData); err != nil {
			return nil, err
		}
		if err := inline(path, "user", name, "client-key", &ai.ClientKey, &ai.ClientKeyData); err != nil {
			return nil, err
		}
		if err := inlineToken(path, name, ai); err != nil {
			return nil, err
		}
	}
	out, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, fmt.Errorf("write flattened kubeconfig %s: %w", path, err)
	}
	return out, nil
}

// inline replaces the file name *ref (relative to the kubeconfig's folder) by its content in
// *data.
func inline(kubeconfig, kind, name, field string, ref *string, data *[]byte) error {
	if *ref == "" {
		return nil
	}
	if len(*data) > 0 {
		return fmt.Errorf("kubeconfig %s: %s %q: both %s and %s-data are set", kubeconfig, kind, name, field, field)
	}
	file := resolve(kubeconfig, *ref)
	content, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %s %q: %s %s: %w", kubeconfig, kind, name, field, file, err)
	}
	*ref, *data = "", content
	return nil
}

// inlineToken replaces a user's tokenFile by the token it holds, trimmed of surrounding
// white space as client-go does when it reads it.
func inlineToken(kubeconfig, name string, ai *clientcmdapi.AuthInfo) error {
	if ai.TokenFile == "" {
		return nil
	}
	if ai.Token != "" {
		return fmt.Errorf("kubeconfig %s: user %q: both tokenFile and token are set", kubeconfig, name)
	}
	file := resolve(kubeconfig, ai.TokenFile)
	content, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: user %q: tokenFile %s: %w", kubeconfig, name, file, err)
	}
	ai.TokenFile, ai.Token = "", strings.TrimSpace(string(content))
	return nil
}

// resolve returns ref, a path in the kubeconfig at kubeconfig, relative to its folder.
func resolve(kubeconfig, ref string) string {
	if filepath.IsAbs(ref) {
		return ref
	}
	return filepath.Join(filepath.Dir(kubeconfig), ref)
}
