package index

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// collect reads in and returns "name@version" per version, in order.
func collect(t *testing.T, in string, lim Limits) ([]string, []Version, Stats, error) {
	t.Helper()
	var ids []string
	var vs []Version
	st, err := Read(strings.NewReader(in), lim, func(v Version) error {
		ids = append(ids, v.Name+"@"+v.Version)
		vs = append(vs, v)
		return nil
	})
	return ids, vs, st, err
}

const helmLayout = `apiVersion: v1
entries:
  alpine:
  - apiVersion: v2
    created: "2024-05-01T10:00:00.5Z"
    description: Deploy a basic Alpine Linux pod
    digest: 515c58e5f79d8b2913a10cb400ebb6fa9c77fe813287afbacf1a0b897cd78727
    home: https://helm.sh/helm
    name: alpine
    sources:
    - https://github.com/helm/helm
    urls:
    - https://charts.example.com/alpine-0.2.0.tgz
    version: 0.2.0
  - apiVersion: v2
    created: "2024-04-01T10:00:00Z"
    description: Deploy a basic Alpine Linux pod
    name: alpine
    urls:
    - alpine-0.1.0.tgz
    version: 0.1.0
  nginx:
  - name: nginx
    version: 1.2.3
    appVersion: "1.25"
    urls: [nginx-1.2.3.tgz, "https://mirror.example.org/nginx-1.2.3.tgz"]
    keywords: [web, proxy]
    maintainers:
    - name: Jane
      email: jane@example.com
      url: https://example.com/jane
    annotations:
      category: Networking
      images: |
        - nginx:1.25

        - exporter:0.1
    deprecated: true
generated: "2024-05-01T10:00:00Z"
serverInfo:
  contextPath: /v1/helm
`

func TestReadValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"helm layout", helmLayout, []string{"alpine@0.2.0", "alpine@0.1.0", "nginx@1.2.3"}},
		{"indented sequences and 4 spaces", "apiVersion: v1\nentries:\n    a:\n        -   name: a\n            version: '1'\n            urls:\n                - a-1.tgz\n        -   name: a\n            version: \"2\"\n            urls: [a-2.tgz]\n    b:\n      - {name: b, version: 3.0.0, urls: [b.tgz]}\n",
			[]string{"a@1", "a@2", "b@3.0.0"}},
		{"comments blanks crlf bom markers",
			"\xef\xbb\xbf%YAML 1.1\n---\r\n# a comment\r\napiVersion: v1\r\n\r\nentries: # charts\r\n# column-0 comment inside entries\r\n  a:   # chart a\r\n\r\n  # between items\r\n  - name: a\r\n    # inside an item\r\n    version: 1.0.0\r\n    urls:\r\n    - a.tgz\r\n...\r\n# trailing comment\r\n",
			[]string{"a@1.0.0"}},
		{"flow value on chart key", "entries:\n  a: [{name: a, version: 1.0.0, urls: [a.tgz]},\n      {name: a, version: 1.1.0, urls: [a1.tgz]}]\n  b: &x\n  - name: b\n    version: 2.0.0\n    urls: [b.tgz]\n",
			[]string{"a@1.0.0", "a@1.1.0", "b@2.0.0"}},
		{"anchor inside one version", "entries:\n  a:\n  - name: &n a\n    version: 1.0.0\n    home: *n\n    urls: [a.tgz]\n",
			[]string{"a@1.0.0"}},
		{"quoted chart keys", "entries:\n  \"a\":\n  - {name: a, version: 1.0.0, urls: [a.tgz]}\n  'b''s':\n  - {name: \"b's\", version: 1.0.0, urls: [b.tgz]}\n",
			[]string{"a@1.0.0", "b's@1.0.0"}},
		{"chart with no versions", "entries:\n  a:\n  b: []\n  c:\n  - {name: c, version: 1.0.0, urls: [c.tgz]}\n", []string{"c@1.0.0"}},
		{"empty entries", "apiVersion: v1\nentries: {}\ngenerated: x\n", nil},
		{"null entries", "apiVersion: v1\nentries:\ngenerated: x\n", nil},
		{"json", `{"apiVersion":"v1","entries":{"a":[{"name":"a","version":"1.0.0","urls":["a.tgz"]},{"name":"a","version":"0.9.0","urls":["a0.tgz"]}],"b":[{"name":"b","version":"2.0.0","urls":["b.tgz"]}]}}`,
			[]string{"a@1.0.0", "a@0.9.0", "b@2.0.0"}},
		{"json pretty with leading blank lines", "\n\n  {\n  \"entries\": {\"a\": [{\"name\": \"a\", \"version\": \"1\", \"urls\": [\"u\"]}]}\n  }\n", []string{"a@1"}},
		{"inline entries", "apiVersion: v1\nentries: {a: [{name: a, version: 1.0.0, urls: [a.tgz]}]}\n", []string{"a@1.0.0"}},
		{"indented root", "  apiVersion: v1\n  entries:\n    a:\n    - {name: a, version: 1.0.0, urls: [a.tgz]}\n", []string{"a@1.0.0"}},
		{"multi-line quoted description", "entries:\n  a:\n  - name: a\n    description: \"first\n      second\"\n    version: 1.0.0\n    urls: [a.tgz]\n", []string{"a@1.0.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, _, st, err := collect(t, tt.in, Limits{})
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("versions = %v, want %v", got, tt.want)
			}
			if st.Versions != len(tt.want) {
				t.Errorf("Stats.Versions = %d, want %d", st.Versions, len(tt.want))
			}
			sum := sha256.Sum256([]byte(tt.in))
			if st.Digest != hex.EncodeToString(sum[:]) || st.Bytes != int64(len(tt.in)) {
				t.Errorf("Stats digest/bytes = %s/%d, want sha256 of %d input bytes", st.Digest, st.Bytes, len(tt.in))
			}
		})
	}
}

func TestReadFields(t *testing.T) {
	t.Parallel()
	_, vs, st, err := collect(t, helmLayout, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Charts != 2 || st.APIVersion != "v1" {
		t.Errorf("stats = %+v, want 2 charts, apiVersion v1", st)
	}
	a := vs[0]
	if a.Created.Format("2006-01-02T15:04:05.000Z07:00") != "2024-05-01T10:00:00.500Z" || a.Home != "https://helm.sh/helm" ||
		a.Digest == "" || a.Description != "Deploy a basic Alpine Linux pod" || a.Deprecated {
		t.Errorf("alpine 0.2.0 = %+v", a)
	}
	if got := vs[1].URLs; len(got) != 1 || got[0] != "alpine-0.1.0.tgz" {
		t.Errorf("relative url not kept as written: %v", got)
	}
	n := vs[2]
	want := Version{Name: "nginx", Version: "1.2.3", AppVersion: "1.25",
		URLs: []string{"nginx-1.2.3.tgz", "https://mirror.example.org/nginx-1.2.3.tgz"}, Keywords: []string{"web", "proxy"},
		Maintainers: []Maintainer{{Name: "Jane", Email: "jane@example.com", URL: "https://example.com/jane"}},
		Annotations: map[string]string{"category": "Networking", "images": "- nginx:1.25\n\n- exporter:0.1\n"},
		Deprecated:  true}
	if fmt.Sprintf("%+v", n) != fmt.Sprintf("%+v", want) {
		t.Errorf("nginx =\n%+v\nwant\n%+v", n, want)
	}
}

func TestReadErrors(t *testing.T) {
	t.Parallel()
	big := "entries:\n  a:\n  - name: a\n    version: 1.0.0\n    description: " + strings.Repeat("x", 2000) + "\n    urls: [a.tgz]\n"
	tests := []struct {
		name    string
		in      string
		lim     Limits
		kind    error
		message string // a substring of the error
	}{
		// yaml.v3 places an unclosed flow sequence on the line before it, for a whole document too.
		{"bad yaml has a line", "apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n    urls: [a.tgz\n  b:\n  - name: b\n", Limits{}, ErrSyntax, "index.yaml line 5"},
		{"bad yaml in a later item", "entries:\n  a:\n  - name: a\n    version: 1.0.0\n    urls: [a.tgz]\n  - name: a\n    version: 2.0.0\n      urls: [b]\n", Limits{}, ErrSyntax, "line 8"},
		{"missing entries", "apiVersion: v1\ngenerated: now\n", Limits{}, ErrNotIndex, "no entries"},
		{"empty document", "\n# nothing\n", Limits{}, ErrNotIndex, "empty document"},
		{"html page", "<html><body>hello</body></html>\n", Limits{}, ErrNotIndex, "not a mapping"},
		{"entries is a list", "entries:\n  - a\n", Limits{}, ErrNotIndex, "entries is a list"},
		{"json entries is a list", `{"entries": ["a"]}`, Limits{}, ErrNotIndex, "entries is a list"},
		{"document is a list", "- a\n- b\n", Limits{}, ErrNotIndex, "list"},
		{"huge entry", big, Limits{MaxEntryBytes: 1024}, ErrTooLarge, `chart "a"`},
		{"huge line", big, Limits{MaxEntryBytes: 1024}, ErrTooLarge, "line 5"},
		{"whole index too large", big, Limits{MaxBytes: 100}, ErrTooLarge, "larger than 100 bytes"},
		{"json too large", `{"entries": {"a": []}, "x": "` + strings.Repeat("y", 200) + `"}`, Limits{MaxBytes: 100}, ErrTooLarge, "larger than 100"},
		{"too many versions", "entries:\n  a:\n  - {name: a, version: '1', urls: [u]}\n  - {name: a, version: '2', urls: [u]}\n", Limits{MaxVersions: 1}, ErrTooLarge, "more than 1 versions"},
		{"name is not the chart's", "entries:\n  a:\n  - name: a\n    version: 1.0.0\n    urls: [a.tgz]\n  - name: b\n    version: 1.0.0\n    urls: [b.tgz]\n", Limits{}, ErrInvalidEntry, `line 6: chart "a" version "1.0.0": name "b" is not the chart's name`},
		{"no urls", "entries:\n  a:\n  - name: a\n    version: 1.0.0\n", Limits{}, ErrInvalidEntry, `line 3: chart "a" version "1.0.0": no urls`},
		{"no version", "entries:\n  a:\n  - name: a\n    urls: [a.tgz]\n", Limits{}, ErrInvalidEntry, "version is missing"},
		{"empty entry", "entries:\n  a:\n  -\n  - name: a\n", Limits{}, ErrInvalidEntry, "empty version entry"},
		{"chart name with slash", "entries:\n  ../a:\n  - {name: ../a, version: '1', urls: [u]}\n", Limits{}, ErrInvalidEntry, "path separator"},
		{"duplicate chart", "entries:\n  a:\n  - {name: a, version: '1', urls: [u]}\n  a:\n  - {name: a, version: '2', urls: [u]}\n", Limits{}, ErrSyntax, `line 4: chart "a": chart is listed twice`},
		{"duplicate field", "entries:\n  a:\n  - name: a\n    version: '1'\n    urls: [u]\n    version: '2'\n", Limits{}, ErrSyntax, "line 6"},
		{"duplicate top key", "apiVersion: v1\nentries: {}\napiVersion: v2\n", Limits{}, ErrSyntax, "defined twice"},
		{"versions not a list", "entries:\n  a:\n    name: a\n", Limits{}, ErrInvalidEntry, "expected a list"},
		{"urls not a list", "entries:\n  a:\n  - {name: a, version: '1', urls: u}\n", Limits{}, ErrInvalidEntry, "urls: expected a list"},
		{"bad created", "entries:\n  a:\n  - {name: a, version: '1', urls: [u], created: yesterday}\n", Limits{}, ErrInvalidEntry, "not a timestamp"},
		{"alias across versions", "entries:\n  a:\n  - &v {name: a, version: '1', urls: [u]}\n  - *v\n", Limits{}, ErrSyntax, "line 4"},
		{"merge key", "entries:\n  a:\n  - <<: {name: a}\n    version: '1'\n    urls: [u]\n", Limits{}, ErrInvalidEntry, "merge keys"},
		{"tab indentation", "entries:\n\ta:\n", Limits{}, ErrSyntax, "tab"},
		{"second document", "entries: {}\n---\nentries: {}\n", Limits{}, ErrSyntax, "more than one YAML document"},
		{"bad indentation under entries", "entries:\n    a:\n    - {name: a, version: '1', urls: [u]}\n  b:\n", Limits{}, ErrSyntax, "line 4"},
		{"bad json", `{"entries": {"a": [}`, Limits{}, ErrSyntax, "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, _, err := collect(t, tt.in, tt.lim)
			if err == nil {
				t.Fatalf("Read succeeded, want %v", tt.kind)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %q is not %v", err, tt.kind)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %q does not contain %q", err, tt.message)
			}
		})
	}
}

func TestReadCallbackError(t *testing.T) {
	t.Parallel()
	stop := errors.New("catalog full")
	calls := 0
	_, err := Read(strings.NewReader(helmLayout), Limits{}, func(Version) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 2 {
		t.Fatalf("err = %v after %d calls, want %v after 2", err, calls, stop)
	}
	var le *LineError
	if !errors.As(err, &le) || le.Chart != "alpine" || le.Version != "0.1.0" || le.Line != 15 {
		t.Errorf("error %#v does not locate alpine 0.1.0 at line 15", le)
	}
}

func TestLimitsValidate(t *testing.T) {
	t.Parallel()
	for _, lim := range []Limits{{MaxBytes: -1}, {MaxEntryBytes: -1}, {MaxVersions: -1}} {
		if _, err := Read(strings.NewReader(helmLayout), lim, func(Version) error { return nil }); err == nil {
			t.Errorf("Read with %+v succeeded, want a limits error", lim)
		}
	}
}
