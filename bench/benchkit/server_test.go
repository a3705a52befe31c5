package benchkit

import (
	"strings"
	"testing"
)

func TestListenURL(t *testing.T) {
	cases := []struct {
		line, want string
		ok         bool
	}{
		{"pitrix: listening on http://127.0.0.1:40123", "http://127.0.0.1:40123", true},
		{"pitrix: listening on http://[::1]:9080", "http://[::1]:9080", true},
		{"pitrix: listening on http://localhost:9080\r", "http://localhost:9080", true},
		{"pitrix: listening on http://10.0.0.1:9080", "", false},
		{"pitrix: listening on http://127.0.0.1", "", false},
		{"pitrix: listening on https://127.0.0.1:1", "", false},
		{"level=INFO msg=started", "", false},
	}
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			got, ok := ListenURL(c.line)
			if got != c.want || ok != c.ok {
				t.Fatalf("ListenURL(%q) = %q, %v; want %q, %v", c.line, got, ok, c.want, c.ok)
			}
		})
	}
}

// FuzzListenURL: whatever the server prints, a URL is only taken when it is http on a
// loopback host with a port, and taking it again gives the same URL.
func FuzzListenURL(f *testing.F) {
	f.Add("pitrix: listening on http://127.0.0.1:40123")
	f.Add("pitrix: listening on http://[::1]:80/x?y")
	f.Add("pitrix: listening on http://user@127.0.0.1:1")
	f.Add("pitrix: listening on http://127.0.0.1.example.com:1")
	f.Fuzz(func(t *testing.T, line string) {
		u, ok := ListenURL(line)
		if !ok {
			return
		}
		again, ok2 := ListenURL(ListenPrefix + u)
		if !ok2 || again != u {
			t.Fatalf("ListenURL(%q) = %q, but taking it again gives %q, %v", line, u, again, ok2)
		}
		if !strings.HasPrefix(u, "http://127.0.0.1:") && !strings.HasPrefix(u, "http://[::1]:") && !strings.HasPrefix(u, "http://localhost:") {
			t.Fatalf("ListenURL(%q) took %q", line, u)
		}
	})
}
