package metadata

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuildRedisGolden(t *testing.T) {
	got := Build(redisCluster()).Lines()
	golden := filepath.Join("testdata", "redis.tree.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("tree differs from %s (rerun with -update and review the diff):\n%s", golden, got)
	}
}

func TestBuildSingleRole(t *testing.T) {
	c := Cluster{ClusterID: "cl-1", SingleRole: true, Hosts: []Host{{InstanceID: "i-1", IP: "127.0.0.5", SID: 1}}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	tr := Build(c)
	if got := tr["/hosts/i-1/ip"]; got != "127.0.0.5" {
		t.Errorf("/hosts/i-1/ip = %q, want 127.0.0.5; tree:\n%s", got, tr.Lines())
	}
	v, err := SelfView(tr, "i-1")
	if err != nil {
		t.Fatal(err)
	}
	if ip, _ := v.Get("/host/ip"); ip != "127.0.0.5" {
		t.Errorf("/host/ip = %q", ip)
	}
	if _, ok := v.Get("/host/role"); ok {
		t.Error("single-role host has a /host/role")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Cluster)
		want string // substring of the error; "" = valid
	}{
		{"redis", func(*Cluster) {}, ""},
		{"no cluster id", func(c *Cluster) { c.ClusterID = "" }, "cluster_id: must not be empty"},
		{"slash in role", func(c *Cluster) { c.Hosts[0].Role = "a/b" }, "hosts[0].role"},
		{"dotdot instance", func(c *Cluster) { c.Hosts[1].InstanceID = ".." }, "hosts[1].instance_id"},
		{"duplicate instance", func(c *Cluster) { c.Hosts[2].InstanceID = "i-r1" }, "listed twice"},
		{"missing role", func(c *Cluster) { c.Hosts[0].Role = "" }, "role is required"},
		{"bad env key", func(c *Cluster) { c.Env[""]["a/b"] = "x" }, `key "a/b"`},
		{"bad endpoint", func(c *Cluster) { c.Endpoints["."] = Endpoint{} }, `endpoint "."`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := redisCluster()
			tc.edit(&c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want ErrInvalid mentioning %q", err, tc.want)
			}
		})
	}
}
