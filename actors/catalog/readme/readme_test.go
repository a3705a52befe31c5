package readme

import (
	"strings"
	"testing"
)

func TestRenderSanitizes(t *testing.T) {
	html, err := Render([]byte("# Redis\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) [home](https://redis.io)\n\n<img src=x onerror=alert(1)>\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<h1", "Redis", "<table>", `href="https://redis.io"`, "nofollow"} {
		if !strings.Contains(html, want) {
			t.Errorf("missing %q in %s", want, html)
		}
	}
	for _, bad := range []string{"<script", "javascript:", "onerror"} {
		if strings.Contains(html, bad) {
			t.Errorf("kept %q: %s", bad, html)
		}
	}
}

func TestFind(t *testing.T) {
	name, b, ok := Find(map[string][]byte{"docs/README.md": []byte("deep"), "readme.md": []byte("top"), "x": nil})
	if !ok || name != "readme.md" || string(b) != "top" {
		t.Errorf("Find = %q %q %v", name, b, ok)
	}
	if _, _, ok := Find(map[string][]byte{"a.txt": nil}); ok {
		t.Error("found a README in none")
	}
}
