package helm

import (
	"encoding/json"
	"testing"

	"github.com/pitrix/pitrix/providers"
)

func FuzzParseKubeconfig(f *testing.F) {
	f.Add(`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: bm90IGEgY2VydA==
users:
- name: u
  user:
    token: abc
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
`, "")
	f.Add(`{"apiVersion":"v1","kind":"Config","clusters":[{"name":"c","cluster":{"server":"http://127.0.0.1:8080"}}],"contexts":[{"name":"x","context":{"cluster":"c"}}]}`, "x")
	f.Add("users:\n- name: u\n  user:\n    exec: {command: sh}\n", "")
	f.Add("{{{", "ctx")
	f.Fuzz(func(t *testing.T, content, ctxName string) {
		kc, err := parseKubeconfig(content, ctxName)
		if err != nil {
			return
		}
		if kc.server == "" || kc.context == "" || len(kc.raw.Contexts) != 1 {
			t.Fatalf("accepted kubeconfig without server/context: %+v", kc)
		}
		for _, ai := range kc.raw.AuthInfos {
			if ai.Exec != nil || ai.AuthProvider != nil || ai.TokenFile != "" || ai.ClientCertificate != "" || ai.ClientKey != "" {
				t.Fatalf("accepted a kubeconfig that runs programs or reads files: %+v", ai)
			}
		}
	})
}

func FuzzPlanParams(f *testing.F) {
	f.Add("upgrade", `{"version_id": "v2", "conf": {"a": 1}}`, `{"replicas": 2}`)
	f.Add("update_env", `{"env": {"a": [1, 2.5, null]}}`, ``)
	f.Add("rollback", `{"revision": 3}`, `null`)
	f.Add("create", ``, `{"a": {"b": "c"}}`)
	f.Add("create", ``, `[]`)
	p, err := New(Config{KeepKlog: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, action, params, conf string) {
		plan, err := p.Plan(providers.PlanRequest{
			Action:  action,
			Cluster: providers.ClusterSpec{ID: "cl-fuzz", VersionID: "v1", Conf: json.RawMessage(conf)},
			Runtime: providers.RuntimeSpec{Zone: "ns"},
			Params:  json.RawMessage(params),
		})
		if err != nil {
			return
		}
		for _, l := range plan.Layers {
			for _, s := range l {
				tp, err := parseParams(s.Params)
				if err != nil {
					t.Fatalf("planned params of %s do not parse back: %v", s.Action, err)
				}
				if tp.Values != nil {
					if _, err := decodeValues(tp.Values); err != nil {
						t.Fatalf("planned values do not decode: %v", err)
					}
				}
			}
		}
	})
}

func FuzzManifestObjects(f *testing.F) {
	f.Add("---\n# Source: web/templates/d.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: other}\n")
	f.Add("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: [x]\n")
	f.Add("--- {{{\n---\nkind: StatefulSet\n")
	f.Fuzz(func(t *testing.T, manifest string) {
		wls, entries := manifestObjects(manifest, "ns")
		for _, o := range append(wls, entries...) {
			if o.Name == "" || o.Namespace == "" {
				t.Fatalf("object without name or namespace: %+v", o)
			}
		}
	})
}
