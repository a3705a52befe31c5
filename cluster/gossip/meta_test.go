package gossip

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestMetaRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		meta Meta
	}{
		{"minimal", Meta{Host: "127.0.0.1", Port: 1}},
		{"full", Meta{Name: "n1", Host: "10.0.0.1", Port: 65535, Kinds: []string{"appcluster", "runtime"}, Leaving: true}},
		{"ipv6", Meta{Host: "::1", Port: 8080, Kinds: []string{"echo"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := EncodeMeta(tt.meta)
			if err != nil {
				t.Fatalf("EncodeMeta: %v", err)
			}
			got, err := DecodeMeta(b)
			if err != nil {
				t.Fatalf("DecodeMeta(%s): %v", b, err)
			}
			if got.Name != tt.meta.Name || got.Host != tt.meta.Host || got.Port != tt.meta.Port ||
				got.Leaving != tt.meta.Leaving || !slices.Equal(got.Kinds, tt.meta.Kinds) {
				t.Fatalf("round trip: got %+v, want %+v", got, tt.meta)
			}
		})
	}
}

func TestEncodeMetaSize(t *testing.T) {
	t.Parallel()
	m := Meta{Host: "127.0.0.1", Port: 1}
	for i := range maxKinds {
		m.Kinds = append(m.Kinds, strings.Repeat("k", 10)+string(rune('a'+i%26)))
	}
	b, err := EncodeMeta(m)
	if err != nil {
		t.Fatalf("%d kinds of 11 bytes: %v", maxKinds, err)
	}
	if len(b) > maxMetaSize {
		t.Fatalf("encoded %d bytes, over %d", len(b), maxMetaSize)
	}
	m.Kinds = m.Kinds[:16]
	for i := range m.Kinds {
		m.Kinds[i] = strings.Repeat("x", 100)
	}
	if _, err := EncodeMeta(m); !errors.Is(err, ErrBadMeta) {
		t.Fatalf("1.6 KB of kinds: err %v, want ErrBadMeta", err)
	}
}

func TestDecodeMetaRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
	}{
		{"empty", ``},
		{"not json", `hello`},
		{"wrong version", `{"v":2,"h":"a","p":1}`},
		{"no version", `{"h":"a","p":1}`},
		{"no host", `{"v":1,"p":1}`},
		{"port zero", `{"v":1,"h":"a","p":0}`},
		{"port too big", `{"v":1,"h":"a","p":65536}`},
		{"empty kind", `{"v":1,"h":"a","p":1,"k":[""]}`},
		{"unknown field", `{"v":1,"h":"a","p":1,"x":1}`},
		{"trailing", `{"v":1,"h":"a","p":1}{}`},
		{"kinds not list", `{"v":1,"h":"a","p":1,"k":"echo"}`},
		{"too long", `{"v":1,"h":"` + strings.Repeat("a", 600) + `","p":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := DecodeMeta([]byte(tt.in))
			if !errors.Is(err, ErrBadMeta) {
				t.Fatalf("DecodeMeta(%q) = %+v, %v; want ErrBadMeta", tt.in, m, err)
			}
		})
	}
}

func FuzzMeta(f *testing.F) {
	f.Add([]byte(`{"v":1,"n":"n1","h":"127.0.0.1","p":4000,"k":["echo","prototopic"]}`))
	f.Add([]byte(`{"v":1,"h":"::1","p":1,"l":true}`))
	f.Add([]byte(`{"v":1,"h":"a","p":1,"k":[""]}`))
	f.Add([]byte(`{"v":1,"h":"a","p":1}{}`))
	f.Add([]byte(`{"v":1,"h":"\u0000","p":1e3}`))
	f.Add([]byte(`null`))
	f.Add([]byte{0xff, 0xfe})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMeta(b)
		if err != nil {
			if !errors.Is(err, ErrBadMeta) {
				t.Fatalf("DecodeMeta error %v does not wrap ErrBadMeta", err)
			}
			return
		}
		enc, err := EncodeMeta(m)
		if err != nil {
			t.Fatalf("decoded %+v does not re-encode: %v", m, err)
		}
		m2, err := DecodeMeta(enc)
		if err != nil {
			t.Fatalf("re-encoded %q does not decode: %v", enc, err)
		}
		if m2.Name != m.Name || m2.Host != m.Host || m2.Port != m.Port || m2.Leaving != m.Leaving || !slices.Equal(m2.Kinds, m.Kinds) {
			t.Fatalf("round trip changed %+v into %+v", m, m2)
		}
	})
}
