package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
)

// saKubeconfig makes a service account in namespace default bound to cluster-admin and returns
// a kubeconfig of its token and the binding's name (deleting it revokes the access).
func (e *helmEnv) saKubeconfig(t *testing.T, name string) (string, string) {
	t.Helper()
	ctx := t.Context()
	sa, err := e.kube.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa.Name, Namespace: "default"}},
	}
	if _, err := e.kube.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = e.kube.RbacV1().ClusterRoleBindings().Delete(context.Background(), name, metav1.DeleteOptions{})
		_ = e.kube.CoreV1().ServiceAccounts("default").Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	secs := int64(3600)
	tr, err := e.kube.CoreV1().ServiceAccounts("default").CreateToken(ctx, name, &authv1.TokenRequest{Spec: authv1.TokenRequestSpec{ExpirationSeconds: &secs}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.Load([]byte(e.kubeconfig))
	if err != nil {
		t.Fatal(err)
	}
	for _, ai := range cfg.AuthInfos {
		ai.Token, ai.ClientCertificateData, ai.ClientKeyData = tr.Status.Token, nil, nil
	}
	b, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), name
}

// TestHelmForceDeleteAndCease: a Helm cluster whose uninstall the API server refuses (the
// runtime's service account lost its binding) cannot be deleted without force, and the error
// says force exists; DELETE ?force=true removes it, recording the skipped steps with their
// error; cease is refused the same way and passes with --force through the CLI.
func TestHelmForceDeleteAndCease(t *testing.T) {
	e := newHelmEnv(t, t.TempDir())
	kc, binding := e.saKubeconfig(t, "pitrix-force-"+e.ns[len("pitrix-e2e-"):])
	ns := e.ns + "-sa"
	t.Cleanup(func() {
		_ = e.kube.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	})
	cred := do(t, e.admin, http.MethodPost, "/v1/runtime_credentials", obj{"name": "sa-k8s", "provider": "kubernetes", "content": kc})
	rt := do(t, e.admin, http.MethodPost, "/v1/runtimes", obj{"name": "k8s-sa", "provider": "kubernetes", "zone": ns, "credential_id": cred["id"]})
	acc := do(t, e.admin, http.MethodPost, "/v1/clusters", obj{"name": "web", "version_id": e.v1, "runtime_id": rt["id"], "conf": obj{"replicaCount": 1}})
	id := acc["cluster_id"].(string)
	if j := waitJob(t, e.admin, acc["job_id"].(string)); j["status"] != "successful" {
		t.Fatalf("create job = %v\ntasks: %v", j, list(t, e.admin, "/v1/jobs/"+acc["job_id"].(string)+"/tasks", nil))
	}

	// Revoke the service account's access: the API server now refuses the runtime.
	if err := e.kube.RbacV1().ClusterRoleBindings().Delete(t.Context(), binding, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	sa := kube(t, kc)
	eventually(t, "the API server refuses the revoked token", func() (bool, string) {
		_, err := sa.CoreV1().Secrets(ns).List(t.Context(), metav1.ListOptions{})
		return err != nil && strings.Contains(err.Error(), "forbidden"), fmt.Sprint(err)
	})

	acc = do(t, e.admin, http.MethodDelete, "/v1/clusters/"+id, nil)
	j := waitJob(t, e.admin, acc["job_id"].(string))
	if msg := fmt.Sprint(j["error"]); j["status"] != "failed" || !strings.Contains(msg, "forbidden") || !strings.Contains(msg, "?force=true") || !strings.Contains(msg, "--force") {
		t.Fatalf("delete refused by the API server = %v: %v", j["status"], msg)
	}
	if c := do(t, e.admin, http.MethodGet, "/v1/clusters/"+id, nil); c["status"] == "deleted" {
		t.Fatalf("a failed delete marked the cluster deleted: %v", c)
	}

	acc = do(t, e.admin, http.MethodDelete, "/v1/clusters/"+id+"?force=true", nil)
	skipped := func(jobID string) {
		t.Helper()
		if j := waitJob(t, e.admin, jobID); j["status"] != "successful" {
			t.Fatalf("forced job = %v\ntasks: %v", j, list(t, e.admin, "/v1/jobs/"+jobID+"/tasks", nil))
		}
		n := 0
		for _, tk := range list(t, e.admin, "/v1/jobs/"+jobID+"/tasks", nil) {
			if tk["action"] == "helm.uninstall" {
				if tk["status"] != "skipped" || !strings.Contains(fmt.Sprint(tk["error"]), "forbidden") {
					t.Fatalf("uninstall task of the forced job = %v", tk)
				}
				n++
			}
		}
		if n != 1 {
			t.Fatalf("forced job has %d uninstall tasks", n)
		}
	}
	skipped(acc["job_id"].(string))
	if c := do(t, e.admin, http.MethodGet, "/v1/clusters/"+id, nil); c["status"] != "deleted" {
		t.Fatalf("cluster after a forced delete = %v", c)
	}

	// Cease without force is refused by the API server too; with --force (CLI) it goes.
	acc = do(t, e.admin, http.MethodPost, "/v1/clusters/"+id+"/cease", obj{})
	if j := waitJob(t, e.admin, acc["job_id"].(string)); j["status"] != "failed" || !strings.Contains(fmt.Sprint(j["error"]), "cease with force") {
		t.Fatalf("cease refused by the API server = %v: %v", j["status"], j["error"])
	}
	env := func(k string) string {
		return map[string]string{"PITRIX_SERVER": e.s.url, "PITRIX_TOKEN": e.s.token()}[k]
	}
	var out, errb bytes.Buffer
	if code := run(ctxT(t), []string{"cluster", "cease", id, "--force", "--wait", "--timeout", "90s"}, env, nil, &out, &errb); code != 0 {
		t.Fatalf("pitrix cluster cease --force = %d: %s%s", code, out.String(), errb.String())
	}
	var ceaseJob string
	for _, jb := range list(t, e.admin, "/v1/jobs", url.Values{"cluster_id": {id}}) {
		if jb["action"] == "cease" && jb["status"] == "successful" {
			ceaseJob = jb["id"].(string)
		}
	}
	if ceaseJob == "" {
		t.Fatal("no successful cease job")
	}
	skipped(ceaseJob)
	if c := do(t, e.admin, http.MethodGet, "/v1/clusters/"+id, nil); c["status"] != "ceased" {
		t.Fatalf("cluster after a forced cease = %v", c)
	}
}
