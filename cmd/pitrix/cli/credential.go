package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/pitrix/pitrix/cmd/pitrix/cli/kubeconfig"
	"github.com/pitrix/pitrix/http/client"
	"sigs.k8s.io/yaml"
)

// maxCredentialContent bounds a --content-file; kubeconfigs and key files are small.
const maxCredentialContent = 4 << 20

func credentialNoun() noun {
	return noun{name: "credential", summary: "runtime credentials (kubeconfigs, cloud keys)", ids: listIDs("runtime_credentials"), verbs: []verb{
		{use: "list", summary: "List runtime credentials (secrets are never shown).", setup: listVerb("runtime_credentials", credentialView(),
			listFilter{"provider", "provider", "only credentials of this `provider`", providerNames})},
		{use: "get ID", summary: "Show a runtime credential.", setup: getVerb("runtime_credentials", credentialView())},
		{use: "create", summary: "Create a runtime credential; the server checks it first.", setup: credentialCreate},
		{use: "validate ID", summary: "Check a stored credential against its provider; exits 1 if it fails.", setup: noFlags(credentialValidate)},
		{use: "delete ID", summary: "Delete a runtime credential.", setup: deleteVerb("runtime_credentials")},
	}}
}

func credentialCreate(c *cmd) runFunc {
	var name, provider, u, content, contentFile string
	c.fs.StringVar(&name, "name", "", "credential `name`")
	c.fs.StringVar(&provider, "provider", "", "`provider` it is for: kubernetes, openstack, ...")
	c.fs.StringVar(&u, "url", "", "API endpoint `URL`, where the provider needs one")
	c.fs.StringVar(&content, "content", "", "the secret `text`: a kubeconfig, or JSON keys for clouds")
	c.fs.StringVar(&contentFile, "content-file", "", "read the secret from `FILE` (- for stdin, sent as is); a kubeconfig FILE is sent flattened to its current context with the files it names inlined, as kubectl config view --flatten --minify")
	return func(ctx context.Context, _ []string) error {
		if c.given("content") && c.given("content-file") {
			return c.usageErr("give --content or --content-file, not both")
		}
		body := map[string]any{}
		setString(c, body, "name", "name", name)
		setString(c, body, "provider", "provider", provider)
		setString(c, body, "url", "url", u)
		setString(c, body, "content", "content", content)
		if contentFile != "" {
			data, err := c.readSecret(contentFile)
			if err != nil {
				return err
			}
			if contentFile != "-" && (provider == "kubernetes" || isKubeconfig(data)) {
				if data, err = flattenKubeconfig(contentFile); err != nil {
					return err
				}
			}
			body["content"] = data
		}
		return c.object(ctx, "POST", client.Path("v1", "runtime_credentials"), nil, body, credentialView())
	}
}

func (c *cmd) readSecret(name string) (string, error) {
	var r io.Reader = c.s.env.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return "", fmt.Errorf("open credential content: %w", err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxCredentialContent+1))
	if err != nil {
		return "", fmt.Errorf("read credential content %s: %w", name, err)
	}
	if len(data) > maxCredentialContent {
		return "", fmt.Errorf("read credential content %s: over %d bytes", name, maxCredentialContent)
	}
	return string(data), nil
}

// isKubeconfig reports whether content is a YAML or JSON document of kind Config.
func isKubeconfig(content string) bool {
	var head struct {
		Kind string `json:"kind"`
	}
	return yaml.Unmarshal([]byte(content), &head) == nil && head.Kind == "Config"
}

// flattenKubeconfig is the kubeconfig at path, self-contained, within maxCredentialContent.
func flattenKubeconfig(path string) (string, error) {
	data, err := kubeconfig.Flatten(path)
	if err != nil {
		return "", err
	}
	if len(data) > maxCredentialContent {
		return "", fmt.Errorf("flatten kubeconfig %s: over %d bytes with its files inlined", path, maxCredentialContent)
	}
	return string(data), nil
}

func credentialValidate(ctx context.Context, c *cmd, args []string) error {
	raw, err := c.call(ctx, "POST", client.Path("v1", "runtime_credentials", args[0], "validate"), nil, nil)
	if err != nil {
		return err
	}
	return c.showCheck(raw)
}
