package index

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/pitrix/pitrix/actors/repo/index/indextest"
)

// sameTree reports where a (from fastItem) differs from b (from yaml) in what the
// conversion to Versions reads: kinds, values, null tags, quoted key styles and lines.
func sameTree(a, b *yaml.Node, path string) string {
	if a.Kind != b.Kind {
		return fmt.Sprintf("%s: kind %v, yaml %v", path, a.Kind, b.Kind)
	}
	if isNull(a) != isNull(b) {
		return fmt.Sprintf("%s: null %v, yaml %v (tag %s)", path, isNull(a), isNull(b), b.Tag)
	}
	if isNull(a) {
		return ""
	}
	if a.Value != b.Value || a.Line != b.Line {
		return fmt.Sprintf("%s: value %q line %d, yaml %q line %d", path, a.Value, a.Line, b.Value, b.Line)
	}
	if (a.Style == 0) != (b.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle) == 0) && a.Kind == yaml.ScalarNode {
		return fmt.Sprintf("%s: style %v, yaml %v", path, a.Style, b.Style)
	}
	if len(a.Content) != len(b.Content) {
		return fmt.Sprintf("%s: %d children, yaml %d", path, len(a.Content), len(b.Content))
	}
	for i := range a.Content {
		if d := sameTree(a.Content[i], b.Content[i], fmt.Sprintf("%s/%d", path, i)); d != "" {
			return d
		}
	}
	return ""
}

// checkFast fails t when fastItem accepts piece but yaml reads it otherwise.
func checkFast(t *testing.T, piece []byte) bool {
	t.Helper()
	n, ok := fastItem(piece)
	if !ok {
		return false
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(piece, &doc); err != nil {
		t.Fatalf("fastItem accepted a piece yaml refuses (%v):\n%s", err, piece)
	}
	if d := sameTree(n, doc.Content[0], ""); d != "" {
		t.Fatalf("fastItem differs from yaml at %s:\n%s", d, piece)
	}
	return true
}

func TestFastItemMatchesYAML(t *testing.T) {
	for _, piece := range []string{
		"- name: a\n  version: '1'\n  urls:\n  - a-1.tgz\n",
		"- name: a\n  version: \"1.0\"\n  description: \"say \\\"hi\\\" \\\\ there\"\n  urls:\n  - a.tgz\n",
		"-   name: a\n    keywords: []\n    annotations: {}\n    urls:\n      - u\n    created: 2023-05-06T22:42:37.728820358Z\n",
		"- name: a\n  annotations:\n    images: |\n      - name: x\n        image: y\n\n    licenses: Apache-2.0\n  deprecated: ~\n  home: null\n  icon:\n  urls:\n  - u\n",
		"- name: a\n  annotations:\n    notes: |-\n      line one\n\n      line three\n\n\n  maintainers:\n  - name: m\n    email: 'it''s@x'\n  - url: http://x\n  version: 1\n  urls:\n  - u\n",
		"# comment\n- name: a\n\n  # another\n  version: 1\n  urls:\n  - u\n",
		"- 'name': a\n  \"version\": 1\n  urls:\n  - u\n",
		"- name: a\n  description: Ünïcödé ✓ text\n  version: 1\n  urls:\n  - u\n",
	} {
		if !checkFast(t, []byte(piece)) {
			t.Errorf("fastItem left to yaml a piece of the subset it covers:\n%s", piece)
		}
	}
	// Outside the subset: left to yaml.
	for _, piece := range []string{
		"- name: a\n  description: two\n    lines\n",
		"- name: &x a\n",
		"- name: a # comment\n",
		"- name: a\n  description: >\n    folded\n",
		"- name: \"multi\n  line\"\n",
		"- name: a\n  urls: [u]\n",
		"- <<: {a: b}\n",
		"- name: a\r\n",
		"- name: a\n\t\n",
		"- name: a: b\n",
		"- name: a\n- name: b\n",
		"-\n  name: a\n",
	} {
		if checkFast(t, []byte(piece)) {
			t.Errorf("fastItem took a piece outside its subset:\n%s", piece)
		}
	}
}

// TestFastItemGenerated checks every piece of a generated index takes the fast path and
// reads as yaml reads it.
func TestFastItemGenerated(t *testing.T) {
	var buf bytes.Buffer
	if _, err := indextest.Generate(&buf, indextest.Options{Versions: 300, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	var fast, all int
	var cur []string
	flush := func() {
		if len(cur) == 0 {
			return
		}
		all++
		if checkFast(t, []byte(strings.Join(cur, ""))) {
			fast++
		}
		cur = cur[:0]
	}
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		switch {
		case strings.HasPrefix(line, "  - "):
			flush()
			cur = append(cur, line[2:])
		case strings.HasPrefix(line, "    ") && len(cur) > 0:
			cur = append(cur, line[2:])
		default:
			flush()
		}
	}
	flush()
	if all != 300 || fast != all {
		t.Fatalf("%d of %d pieces took the fast path, want 300 of 300", fast, all)
	}
}

// FuzzFastItem checks that whatever fastItem accepts, yaml reads the same way.
func FuzzFastItem(f *testing.F) {
	for _, s := range []string{
		"- name: a\n  version: '1'\n  urls:\n  - a-1.tgz\n",
		"- name: a\n  annotations:\n    images: |\n      - x\n\n    l: b\n  keywords: []\n",
		"- a: \"x\\\"y\"\n  b:\n    c: d\n  e:\n  - f\n  - g: h\n    i: ~\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkFast(t, b)
	})
}
