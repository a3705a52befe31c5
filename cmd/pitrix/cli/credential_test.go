package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCredentialKubeconfigIsFlattened: a kubeconfig given with --content-file is sent with the
// files it names inlined, as the server accepts no file references.
func TestCredentialKubeconfigIsFlattened(t *testing.T) {
	r := newRunner(t)
	dir := t.TempDir()
	files := map[string]string{
		"ca.crt": "CA PEM\n",
		"token":  "tok\n",
		"kubeconf": "apiVersion: v1\nkind: Config\ncurrent-context: c\n" +
			"clusters: [{name: k, cluster: {server: \"https://127.0.0.1:6443\", certificate-authority: ca.crt}}]\n" +
			"users: [{name: u, user: {tokenFile: token}}]\n" +
			"contexts: [{name: c, context: {cluster: k, user: u}}]\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	kube := filepath.Join(dir, "kubeconf")

	for _, provider := range []string{"kubernetes", ""} { // a kubeconfig is recognised by its kind too
		args := []string{"credential", "create", "--name", "k", "--content-file", kube}
		if provider != "" {
			args = append(args, "--provider", provider)
		}
		r.ok(args...)
		var sent struct {
			Content string `json:"content"`
		}
		if err := json.Unmarshal(r.api.last().Body, &sent); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"certificate-authority-data: Q0EgUEVNCg==", "token: tok"} {
			if !strings.Contains(sent.Content, want) {
				t.Errorf("provider %q: sent content lacks %q:\n%s", provider, want, sent.Content)
			}
		}
		if strings.Contains(sent.Content, "certificate-authority: ") || strings.Contains(sent.Content, "tokenFile") {
			t.Errorf("provider %q: sent content still names files:\n%s", provider, sent.Content)
		}
	}

	// Keys for a cloud are sent as they are.
	keys := filepath.Join(dir, "keys.json")
	os.WriteFile(keys, []byte(`{"access_key_id": "a"}`), 0o600)
	r.ok("credential", "create", "--name", "os", "--provider", "openstack", "--content-file", keys)
	if body := string(r.api.last().Body); !strings.Contains(body, `"content":"{\"access_key_id\": \"a\"}"`) {
		t.Errorf("cloud keys sent as %s", body)
	}

	// A file the kubeconfig names that is missing: exit 1 naming it, nothing sent.
	if err := os.Remove(filepath.Join(dir, "ca.crt")); err != nil {
		t.Fatal(err)
	}
	before := r.api.count()
	res := r.run("credential", "create", "--name", "k", "--provider", "kubernetes", "--content-file", kube)
	if res.code != 1 || !strings.Contains(res.stderr, "certificate-authority "+filepath.Join(dir, "ca.crt")) {
		t.Errorf("missing CA file: exit %d, stderr %q", res.code, res.stderr)
	}
	if r.api.count() != before {
		t.Errorf("a kubeconfig that cannot be flattened was sent")
	}
}
