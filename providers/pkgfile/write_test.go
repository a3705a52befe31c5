package pkgfile

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"
)

func TestWriteRoundTripAndDeterminism(t *testing.T) {
	t.Parallel()
	files := map[string][]byte{
		"package.json":            []byte(`{"name":"redis"}`),
		"confd/conf.d/redis.toml": []byte("[template]\n"),
		"README.md":               nil,
	}
	var a, b bytes.Buffer
	if err := Write(&a, "redis-1.0.0", files); err != nil {
		t.Fatal(err)
	}
	if err := Write(&b, "redis-1.0.0", files); err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(a.Bytes()) != sha256.Sum256(b.Bytes()) {
		t.Fatal("two writes of the same files differ")
	}
	got, err := Read(bytes.NewReader(a.Bytes()), Limits{})
	if err != nil {
		t.Fatalf("Read(Write(...)): %v", err)
	}
	if got.Top != "redis-1.0.0" {
		t.Errorf("Top = %q", got.Top)
	}
	want := []string{"README.md", "confd/conf.d/redis.toml", "package.json"}
	if len(got.Order) != len(want) {
		t.Fatalf("Order = %v, want %v", got.Order, want)
	}
	for i, name := range want {
		if got.Order[i] != name || !bytes.Equal(got.Files[name], files[name]) {
			t.Errorf("entry %d = %q %q, want %q %q", i, got.Order[i], got.Files[got.Order[i]], name, files[name])
		}
	}
}

func TestWriteRefusesUnsafe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		top   string
		files map[string][]byte
		want  error
	}{
		{name: "dot dot", files: map[string][]byte{"../x": nil}, want: ErrUnsafePath},
		{name: "absolute", files: map[string][]byte{"/x": nil}, want: ErrUnsafePath},
		{name: "unclean", files: map[string][]byte{"a//b": nil}, want: ErrUnsafePath},
		{name: "bad top", top: "a/b", files: map[string][]byte{"x": nil}, want: ErrUnsafePath},
		{name: "file and folder", files: map[string][]byte{"a": nil, "a/b": nil}, want: ErrDuplicate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := Write(&bytes.Buffer{}, tt.top, tt.files); !errors.Is(err, tt.want) {
				t.Errorf("Write = %v, want %v", err, tt.want)
			}
		})
	}
}

func BenchmarkRead(b *testing.B) {
	files := map[string][]byte{}
	for i := range 50 {
		files["confd/templates/f"+string(rune('a'+i%26))+string(rune('a'+i/26))] = bytes.Repeat([]byte("maxmemory 100mb\n"), 256)
	}
	var buf bytes.Buffer
	if err := Write(&buf, "app", files); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Read(bytes.NewReader(data), Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
