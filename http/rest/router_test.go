package rest

import (
	"slices"
	"testing"
)

func TestRouter(t *testing.T) {
	var rt router
	nop := func(*Server, *request) error { return nil }
	for _, r := range []struct{ method, pattern string }{
		{"GET", "/v1/repos"},
		{"POST", "/v1/repos"},
		{"POST", "/v1/repos/validate"},
		{"GET", "/v1/repos/{id}"},
		{"POST", "/v1/repos/{id}/index"},
		{"GET", "/v1/app_versions/{id}/files/{path...}"},
		{"GET", "/v1/admin/actors/{kind}/{id}"},
	} {
		if _, err := rt.add(r.method, r.pattern, false, nop); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		method, path string
		pattern      string
		params       []param
		allow        []string
	}{
		{"GET", "/v1/repos", "/v1/repos", nil, nil},
		{"GET", "/v1/repos/", "/v1/repos", nil, nil},
		{"GET", "/v1/repos/repo-1", "/v1/repos/{id}", []param{{"id", "repo-1"}}, nil},
		{"POST", "/v1/repos/validate", "/v1/repos/validate", nil, nil},
		{"GET", "/v1/repos/validate", "/v1/repos/{id}", []param{{"id", "validate"}}, nil},
		{"POST", "/v1/repos/validate/index", "/v1/repos/{id}/index", []param{{"id", "validate"}}, nil},
		{"HEAD", "/v1/repos/r", "/v1/repos/{id}", []param{{"id", "r"}}, nil},
		{"GET", "/v1/app_versions/v1/files/a/b/c.yaml", "/v1/app_versions/{id}/files/{path...}",
			[]param{{"id", "v1"}, {"path", "a/b/c.yaml"}}, nil},
		{"GET", "/v1/admin/actors/repo/repo-1", "/v1/admin/actors/{kind}/{id}", []param{{"kind", "repo"}, {"id", "repo-1"}}, nil},
		{"DELETE", "/v1/repos", "", nil, []string{"GET", "HEAD", "POST"}},
		{"PUT", "/v1/repos/validate", "", nil, []string{"POST"}},
		{"GET", "/v1/app_versions/v1/files", "", nil, nil},
		{"GET", "/v1/app_versions/v1/files/", "", nil, nil},
		{"GET", "/v1/repos/r/index/x", "", nil, nil},
		{"GET", "", "", nil, nil},
		{"GET", "/", "", nil, nil},
		{"GET", "//", "", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r, ps, allow := rt.lookup(tc.method, tc.path, nil)
			if tc.pattern == "" {
				if r != nil {
					t.Fatalf("matched %s", r.pattern)
				}
				if !slices.Equal(allow, tc.allow) {
					t.Errorf("allow %v, want %v", allow, tc.allow)
				}
				return
			}
			if r == nil || r.pattern != tc.pattern {
				t.Fatalf("route %v, want %s (allow %v)", r, tc.pattern, allow)
			}
			if !slices.Equal(ps, tc.params) {
				t.Errorf("params %v, want %v", ps, tc.params)
			}
		})
	}
	t.Run("bad patterns", func(t *testing.T) {
		for _, p := range []struct{ method, pattern string }{
			{"GET", "v1/x"},
			{"GET", "/v1//x"},
			{"GET", "/v1/repos"},            // duplicate
			{"GET", "/v1/repos/{name}/x"},   // conflicting param name
			{"GET", "/v1/x/{rest...}/more"}, // catch-all not last
		} {
			if _, err := rt.add(p.method, p.pattern, false, nop); err == nil {
				t.Errorf("%s %s accepted", p.method, p.pattern)
			}
		}
	})
}

// FuzzRouterLookup feeds arbitrary request paths to the real route table: lookups never panic
// and a match always carries the params its pattern names.
func FuzzRouterLookup(f *testing.F) {
	for _, s := range []string{"/v1/repos/x", "/v1/app_versions/a/files/b/c", "//", "/v1/repos/validate/", "/\xff/\x00", ""} {
		f.Add("GET", s)
	}
	s, err := New(Config{}, newMemBackend())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, path string) {
		r, ps, _ := s.rt.lookup(method, path, nil)
		if r == nil {
			return
		}
		for _, p := range ps {
			if p.value == "" {
				t.Errorf("%s: empty param %s", r.pattern, p.name)
			}
		}
	})
}
