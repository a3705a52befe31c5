package metadata

import (
	"errors"
	"maps"
	"slices"
	"testing"
)

func TestSelfViewEachHost(t *testing.T) {
	tr := Build(redisCluster())
	tests := []struct {
		id, role, ip, maxmemory string
		readOnly                bool
	}{
		{"i-m1", "master", "127.1.0.2", "256mb", false},
		{"i-r1", "replica", "127.1.0.3", "128mb", true},
		{"i-r2", "replica", "127.1.0.4", "128mb", true},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			v, err := SelfView(tr, tc.id)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{
				"/host/instance_id":              tc.id,
				"/host/role":                     tc.role,
				"/host/ip":                       tc.ip,
				"/env/maxmemory":                 tc.maxmemory,
				"/env/port":                      "6379",
				"/cluster/cluster_id":            "cl-redis1",
				"/cluster/endpoints/client/port": "6379",
				"/hosts/master/i-m1/ip":          "127.1.0.2",
				"/hosts/replica/i-r2/ip":         "127.1.0.4",
				"/links/monitor/hosts/i-mon1/ip": "127.1.0.9",
			}
			for k, w := range want {
				if got, ok := v.Get(k); !ok || got != w {
					t.Errorf("Get(%q) = %q, %v; want %q", k, got, ok, w)
				}
			}
			if _, ok := v.Get("/env/replica-read-only"); ok != tc.readOnly {
				t.Errorf("/env/replica-read-only present = %v, want %v", ok, tc.readOnly)
			}
			for k := range v {
				if topDir(k) == "roles" {
					t.Errorf("view leaks the other roles' env: %s", k)
				}
			}
			if got := v.ListDir("/hosts/replica"); !slices.Equal(got, []string{"i-r1", "i-r2"}) {
				t.Errorf("ListDir(/hosts/replica) = %v", got)
			}
		})
	}
	if _, err := SelfView(tr, "i-nope"); !errors.Is(err, ErrUnknownInstance) {
		t.Errorf("SelfView(unknown) = %v, want ErrUnknownInstance", err)
	}
}

func TestSelfViewAddingHost(t *testing.T) {
	c := redisCluster()
	c.Adding = []Host{{InstanceID: "i-r3", Role: "replica", IP: "127.1.0.5", SID: 4}}
	v, err := SelfView(Build(c), "i-r3")
	if err != nil {
		t.Fatalf("a host being added must see itself: %v", err)
	}
	if ip, _ := v.Get("/host/ip"); ip != "127.1.0.5" {
		t.Errorf("/host/ip = %q", ip)
	}
	if !v.Exists("/adding-hosts/replica/i-r3") {
		t.Error("adding-hosts missing")
	}
}

func TestViewQueries(t *testing.T) {
	v, err := SelfView(Build(redisCluster()), "i-r1")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("GetAll", func(t *testing.T) {
		kvs, err := v.GetAll("/env/*")
		if err != nil {
			t.Fatal(err)
		}
		want := []KV{{"/env/maxmemory", "128mb"}, {"/env/port", "6379"}, {"/env/replica-read-only", "yes"}}
		if !slices.Equal(kvs, want) {
			t.Errorf("GetAll(/env/*) = %v, want %v", kvs, want)
		}
		ips, _ := v.GetAll("/hosts/*/*/ip")
		if len(ips) != 3 || ips[0].Value != "127.1.0.2" {
			t.Errorf("GetAll(/hosts/*/*/ip) = %v", ips)
		}
		if _, err := v.GetAll("/env/["); err == nil {
			t.Error("bad pattern accepted")
		}
	})
	t.Run("List", func(t *testing.T) {
		if got := v.List("/"); !slices.Equal(got, []string{"cluster", "env", "host", "hosts", "links"}) {
			t.Errorf("List(/) = %v", got)
		}
		if got := v.List("/cluster"); !slices.Equal(got, []string{"app_id", "cluster_id", "endpoints", "name", "provider", "zone"}) {
			t.Errorf("List(/cluster) = %v", got)
		}
		if got := v.ListDir("/cluster"); !slices.Equal(got, []string{"endpoints"}) {
			t.Errorf("ListDir(/cluster) = %v", got)
		}
		if got := v.List("/host/ip"); len(got) != 0 {
			t.Errorf("List(leaf) = %v", got)
		}
		// Keys are cleaned as confd cleans them.
		if got := v.ListDir("hosts/"); !slices.Equal(got, []string{"master", "replica"}) {
			t.Errorf("ListDir(hosts/) = %v", got)
		}
	})
	t.Run("Exists", func(t *testing.T) {
		for key, want := range map[string]bool{"/host/ip": true, "/hosts/master": true, "/hosts/mast": false, "/adding-hosts": false, "/": true} {
			if got := v.Exists(key); got != want {
				t.Errorf("Exists(%q) = %v, want %v", key, got, want)
			}
		}
	})
	t.Run("JSON round trip", func(t *testing.T) {
		back, err := ParseView(v.JSON())
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(back, v) {
			t.Error("round trip changed the view")
		}
	})
}

func TestParseViewRejects(t *testing.T) {
	tests := map[string]string{
		"not json":        `{`,
		"array":           `[]`,
		"null":            `null`,
		"number value":    `{"/a":1}`,
		"relative key":    `{"a":"x"}`,
		"root key":        `{"/":"x"}`,
		"unclean key":     `{"/a/../b":"x"}`,
		"trailing slash":  `{"/a/":"x"}`,
		"leaf and dir":    `{"/a":"x","/a/b":"y"}`,
		"trailing object": `{"/a":"x"}{}`,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseView([]byte(in)); !errors.Is(err, ErrBadView) {
				t.Fatalf("ParseView(%s) = %v, want ErrBadView", in, err)
			}
		})
	}
}

func FuzzParseView(f *testing.F) {
	v, _ := SelfView(Build(redisCluster()), "i-r1")
	f.Add(v.JSON())
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"/a":"x","/a/b":"y"}`))
	f.Add([]byte(`{"/env/x":"\u0000\ud800"}`))
	f.Add([]byte(`{"/a/./b":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseView(data)
		if err != nil {
			return
		}
		back, err := ParseView(v.JSON())
		if err != nil {
			t.Fatalf("a parsed view's JSON does not parse: %v", err)
		}
		if !maps.Equal(back, v) {
			t.Fatal("round trip changed the view")
		}
		for k := range v {
			v.List(k)
			v.ListDir(k)
			if !v.Exists(k) {
				t.Fatalf("Exists(%q) = false for a key of the view", k)
			}
		}
	})
}
