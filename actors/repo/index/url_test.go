package index

import (
	"errors"
	"net/url"
	"testing"
)

func TestResolveURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		base, u, want string
		err           bool
	}{
		{"https://charts.example.com/stable", "nginx-1.0.0.tgz", "https://charts.example.com/stable/nginx-1.0.0.tgz", false},
		{"https://charts.example.com/stable/", "nginx-1.0.0.tgz", "https://charts.example.com/stable/nginx-1.0.0.tgz", false},
		{"https://charts.example.com/stable", "charts/nginx-1.0.0.tgz", "https://charts.example.com/stable/charts/nginx-1.0.0.tgz", false},
		{"https://charts.example.com/stable", "../other/x.tgz", "https://charts.example.com/other/x.tgz", false},
		{"https://charts.example.com/stable", "/root.tgz", "https://charts.example.com/root.tgz", false},
		{"https://charts.example.com/stable?sig=abc", "x.tgz", "https://charts.example.com/stable/x.tgz?sig=abc", false},
		{"https://charts.example.com/stable?sig=abc", "x.tgz?v=2", "https://charts.example.com/stable/x.tgz?v=2", false},
		{"https://charts.example.com/stable", "https://mirror.example.org/x.tgz", "https://mirror.example.org/x.tgz", false},
		{"file:///srv/repo", "x.tgz", "file:///srv/repo/x.tgz", false},
		{"https://charts.example.com/stable", "", "", true},
		{"https://charts.example.com/stable", "%zz", "", true},
		{"", "x.tgz", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.base+" "+tt.u, func(t *testing.T) {
			t.Parallel()
			var base *url.URL
			if tt.base != "" {
				var err error
				if base, err = url.Parse(tt.base); err != nil {
					t.Fatal(err)
				}
			}
			got, err := ResolveURL(base, tt.u)
			if tt.err {
				if !errors.Is(err, ErrBadURL) {
					t.Fatalf("ResolveURL = %q, %v; want ErrBadURL", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ResolveURL = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
