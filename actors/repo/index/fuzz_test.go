package index

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
)

// wholeRecords decodes data the non-streaming way, for comparison with Read.
func wholeRecords(data []byte, lim Limits) ([]string, error) {
	var out []string
	r := &reader{lim: lim.withDefaults(), topKeys: map[string]bool{}, charts: map[string]bool{}}
	r.fn = func(v Version) error {
		out = append(out, record(v))
		return nil
	}
	err := decodeWhole(bytes.TrimPrefix(data, bom), r)
	return out, err
}

// FuzzRead checks that Read never panics, that every version it hands out is valid, and
// that whenever it accepts an index, decoding the same bytes whole gives the same versions
// — so cutting the document into pieces never changes its meaning.
func FuzzRead(f *testing.F) {
	for _, seed := range []string{
		helmLayout,
		"entries:\n  a:\n  - {name: a, version: '1', urls: [u]}\n",
		"entries:\n    a:\n        -   name: a\n            version: '1'\n            urls:\n                - a-1.tgz\n",
		"entries:\n  a: [{name: a, version: 1.0.0, urls: [a.tgz]}]\n  b:\n  - name: b\n    version: 1\n    urls: [b]\n",
		`{"entries":{"a":[{"name":"a","version":"1","urls":["u"]}]}}`,
		"entries:\n  a:\n  - name: a\n    description: |\n      x\n\n      y\n    version: '1'\n    urls: [u]\ngenerated: x\n",
		"entries:\n  a:\n  - name: a\n    description: \"x\n  y\"\n    version: '1'\n    urls: [u]\n",
		"---\napiVersion: v1\nentries: {}\n...\n",
		"entries:\n  a:\n  - &v {name: a, version: '1', urls: [u]}\n  - *v\n",
		"entries:\n  a:\n  -\n",
	} {
		f.Add([]byte(seed))
	}
	lim := Limits{MaxBytes: 1 << 16, MaxEntryBytes: 1 << 12, MaxVersions: 1000}
	f.Fuzz(func(t *testing.T, data []byte) {
		var got []string
		st, err := Read(bytes.NewReader(data), lim, func(v Version) error {
			if msg, ok := v.check(v.Name); !ok {
				t.Fatalf("invalid version handed out (%s): %+v", msg, v)
			}
			if _, ok := validChartName(v.Name); !ok {
				t.Fatalf("invalid chart name handed out: %q", v.Name)
			}
			got = append(got, record(v))
			return nil
		})
		if err != nil {
			return
		}
		if st.Versions != len(got) {
			t.Fatalf("Stats.Versions = %d, callback saw %d", st.Versions, len(got))
		}
		whole, werr := wholeRecords(data, lim)
		if werr != nil {
			t.Fatalf("Read accepted %q but the whole decode fails: %v", data, werr)
		}
		slices.Sort(got)
		slices.Sort(whole)
		if fmt.Sprint(got) != fmt.Sprint(whole) {
			t.Fatalf("Read and whole decode differ on %q:\nread:  %v\nwhole: %v", data, got, whole)
		}
	})
}
