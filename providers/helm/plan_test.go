package helm

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/pitrix/pitrix/providers"
)

func TestPlan(t *testing.T) {
	p := newTestProvider(t, Config{OpTimeout: 2 * time.Minute, WaitTimeout: 3 * time.Minute})
	cluster := providers.ClusterSpec{ID: "cl-0k3h5abc", VersionID: "appv-1", Conf: json.RawMessage(`{"replicas": 2}`)}
	rt := providers.RuntimeSpec{ID: "rt-1", Zone: "apps"}
	cases := []struct {
		name    string
		action  string
		params  string
		actions [][]string
		main    TaskParams // params of the middle layer's task
		perm    string     // when set: a permanent error containing it
	}{
		{name: "create", action: "create",
			actions: [][]string{{TaskRecover}, {TaskInstall}, {TaskWait}},
			main:    TaskParams{Release: "cl-0k3h5abc", Namespace: "apps", VersionID: "appv-1", Values: json.RawMessage(`{"replicas":2}`)}},
		{name: "upgrade version and values", action: "upgrade", params: `{"version_id": "appv-2", "conf": {"replicas": 3}}`,
			actions: [][]string{{TaskRecover}, {TaskUpgrade}, {TaskWait}},
			main:    TaskParams{Release: "cl-0k3h5abc", Namespace: "apps", VersionID: "appv-2", Values: json.RawMessage(`{"replicas":3}`)}},
		{name: "upgrade same version same values", action: "upgrade",
			actions: [][]string{{TaskRecover}, {TaskUpgrade}, {TaskWait}},
			main:    TaskParams{Release: "cl-0k3h5abc", Namespace: "apps", VersionID: "appv-1"}},
		{name: "update_env", action: "update_env", params: `{"env": {"image": "x"}}`,
			actions: [][]string{{TaskRecover}, {TaskUpgrade}, {TaskWait}},
			main:    TaskParams{Release: "cl-0k3h5abc", Namespace: "apps", VersionID: "appv-1", Values: json.RawMessage(`{"image":"x"}`), MergeValues: true}},
		{name: "update_env conf", action: "update_env", params: `{"conf": {"a": 1}}`,
			actions: [][]string{{TaskRecover}, {TaskUpgrade}, {TaskWait}},
			main:    TaskParams{Release: "cl-0k3h5abc", Namespace: "apps", VersionID: "appv-1", Values: json.RawMessage(`{"a":1}`), MergeValues: true}},
		{name: "rollback default", action: "rollback",
			actions: [][]string{{TaskRecover}, {TaskRollback}, {TaskWait}},
			main:    TaskParams{Release: "cl-0k3h5abc", Namespace: "apps", VersionID: "appv-1"}},
		{name: "rollback to 2", action: "rollback", params: `{"revision": 2}`,
			actions: [][]string{{TaskRecover}, {TaskRollback}, {TaskWait}},
			main:    TaskParams{Release: "cl-0k3h5abc", Namespace: "apps", VersionID: "appv-1", Revision: 2}},
		{name: "recover", action: "recover",
			actions: [][]string{{TaskRecover}, {TaskRestore}, {TaskWait}},
			main:    TaskParams{Release: "cl-0k3h5abc", Namespace: "apps", VersionID: "appv-1"}},
		{name: "delete", action: "delete",
			actions: [][]string{{TaskRecover}, {TaskUninstall}},
			main:    TaskParams{Release: "cl-0k3h5abc", Namespace: "apps", VersionID: "appv-1", Teardown: "delete"}},
		{name: "delete forced", action: "delete", params: `{"force": true}`,
			actions: [][]string{{TaskRecover}, {TaskUninstall}},
			main:    TaskParams{Release: "cl-0k3h5abc", Namespace: "apps", VersionID: "appv-1", Teardown: "delete", Force: true}},
		{name: "cease", action: "cease",
			actions: [][]string{{TaskRecover}, {TaskUninstall}},
			main:    TaskParams{Release: "cl-0k3h5abc", Namespace: "apps", VersionID: "appv-1", Purge: true, Teardown: "cease"}},
		{name: "start", action: "start", perm: "not supported for Helm apps"},
		{name: "stop", action: "stop", perm: "not supported for Helm apps"},
		{name: "resize", action: "resize", perm: "not supported for Helm apps"},
		{name: "update_env without values", action: "update_env", params: `{}`, perm: `need "env" or "conf"`},
		{name: "conf not an object", action: "upgrade", params: `{"conf": "replicas: 3"}`, perm: "values must be a JSON object"},
		{name: "negative revision", action: "rollback", params: `{"revision": -1}`, perm: "negative"},
		{name: "params not JSON", action: "rollback", params: `{revision`, perm: "rollback params"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := p.Plan(providers.PlanRequest{Action: tc.action, Cluster: cluster, Runtime: rt, Params: json.RawMessage(tc.params)})
			if tc.perm != "" {
				if !errors.Is(err, providers.ErrPermanent) {
					t.Fatalf("Plan: %v, want permanent", err)
				}
				contains(t, err, tc.perm)
				return
			}
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			var got [][]string
			for _, l := range plan.Layers {
				var names []string
				for _, s := range l {
					names = append(names, s.Action)
					if s.Target != "apps/cl-0k3h5abc" {
						t.Errorf("target %q", s.Target)
					}
					want := 2 * time.Minute
					if s.Action == TaskWait {
						want = 3 * time.Minute
					}
					if s.Timeout != want {
						t.Errorf("%s timeout %v, want %v", s.Action, s.Timeout, want)
					}
				}
				got = append(got, names)
			}
			if !reflect.DeepEqual(got, tc.actions) {
				t.Fatalf("layers %v, want %v", got, tc.actions)
			}
			tp, err := parseParams(plan.Layers[1][0].Params)
			if err != nil {
				t.Fatalf("params of %s: %v", plan.Layers[1][0].Action, err)
			}
			if !reflect.DeepEqual(tp, tc.main) {
				t.Errorf("params %+v, want %+v", tp, tc.main)
			}
		})
	}
}

func TestPlanChecksNames(t *testing.T) {
	p := newTestProvider(t, Config{})
	for _, tc := range []struct{ id, zone, want string }{
		{"Cl_Bad", "apps", "release name"},
		{"cl-" + string(make([]byte, 60)), "apps", "release name"},
		{"cl-ok", "", "namespace"},
		{"cl-ok", "Apps", "namespace"},
	} {
		_, err := p.Plan(providers.PlanRequest{Action: "create", Cluster: providers.ClusterSpec{ID: tc.id, VersionID: "v"}, Runtime: providers.RuntimeSpec{Zone: tc.zone}})
		if !errors.Is(err, providers.ErrPermanent) {
			t.Fatalf("Plan(%q, %q): %v, want permanent", tc.id, tc.zone, err)
		}
		contains(t, err, tc.want)
	}
}

func TestDecodeValues(t *testing.T) {
	v, err := decodeValues([]byte(`{"replicas": 3, "ratio": 0.5, "big": 1000000, "nested": {"list": [1, "a"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"replicas": int64(3), "ratio": 0.5, "big": int64(1000000), "nested": map[string]any{"list": []any{int64(1), "a"}}}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("decoded %#v, want %#v", v, want)
	}
	for _, bad := range []string{`[1]`, `"x"`, `{"a":1} {"b":2}`, `{"a":`} {
		if _, err := decodeValues([]byte(bad)); !errors.Is(err, ErrValues) {
			t.Errorf("decodeValues(%s): %v, want ErrValues", bad, err)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).withDefaults().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if _, err := New(Config{HistoryMax: -1, KeepKlog: true}); err == nil {
		t.Fatal("New accepted HistoryMax -1")
	}
	if _, err := New(Config{PollInterval: -time.Second, KeepKlog: true}); err == nil {
		t.Fatal("New accepted a negative poll interval")
	}
}
