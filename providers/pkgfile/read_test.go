package pkgfile

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"path"
	"strings"
	"testing"
)

// entry is one raw tar entry for building hostile archives by hand.
type entry struct {
	name     string
	typ      byte
	body     string
	size     int64 // header size when body is not the real content
	linkname string
}

func rawTgz(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		size := int64(len(e.body))
		if typ != tar.TypeReg {
			size = 0
		}
		hdr := &tar.Header{Name: e.name, Typeflag: typ, Mode: 0o644, Size: size, Linkname: e.linkname, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("header %q: %v", e.name, err)
		}
		if size > 0 {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		entries []entry
		top     string
		files   map[string]string
		order   []string
	}{
		{
			name: "one top folder with dirs",
			entries: []entry{
				{name: "redis/", typ: tar.TypeDir},
				{name: "redis/package.json", body: "{}"},
				{name: "redis/confd/", typ: tar.TypeDir},
				{name: "redis/confd/conf.d/redis.toml", body: "[template]"},
			},
			top:   "redis",
			files: map[string]string{"package.json": "{}", "confd/conf.d/redis.toml": "[template]"},
			order: []string{"package.json", "confd/conf.d/redis.toml"},
		},
		{
			name:    "dot slash prefixes are cleaned",
			entries: []entry{{name: "./", typ: tar.TypeDir}, {name: "./app/./a.txt", body: "a"}, {name: "app//b.txt", body: "b"}},
			top:     "app",
			files:   map[string]string{"a.txt": "a", "b.txt": "b"},
			order:   []string{"a.txt", "b.txt"},
		},
		{
			name:    "no common top",
			entries: []entry{{name: "a/x", body: "1"}, {name: "b/y", body: "2"}},
			files:   map[string]string{"a/x": "1", "b/y": "2"},
			order:   []string{"a/x", "b/y"},
		},
		{
			name:    "file at root means no top",
			entries: []entry{{name: "Chart.yaml", body: "name: x"}},
			files:   map[string]string{"Chart.yaml": "name: x"},
			order:   []string{"Chart.yaml"},
		},
		{
			name:    "empty file",
			entries: []entry{{name: "p/empty", body: ""}},
			top:     "p",
			files:   map[string]string{"empty": ""},
			order:   []string{"empty"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := Read(bytes.NewReader(rawTgz(t, tt.entries...)), Limits{})
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if a.Top != tt.top {
				t.Errorf("Top = %q, want %q", a.Top, tt.top)
			}
			if len(a.Files) != len(tt.files) {
				t.Errorf("got %d files, want %d: %v", len(a.Files), len(tt.files), a.Order)
			}
			for name, want := range tt.files {
				if got, ok := a.Files[name]; !ok || string(got) != want {
					t.Errorf("Files[%q] = %q (present %v), want %q", name, got, ok, want)
				}
			}
			if strings.Join(a.Order, ",") != strings.Join(tt.order, ",") {
				t.Errorf("Order = %v, want %v", a.Order, tt.order)
			}
		})
	}
}

func TestReadRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		data    func(t *testing.T) []byte
		lim     Limits
		want    error
		mention string // the error must name this
	}{
		{name: "not gzip", data: func(*testing.T) []byte { return []byte("PK\x03\x04 a zip file") }, want: ErrNotGzip, mention: "not a gzip stream"},
		{name: "empty input", data: func(*testing.T) []byte { return nil }, want: ErrNotGzip},
		{name: "gzip but not tar", data: func(t *testing.T) []byte {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write([]byte(strings.Repeat("hello, not a tar ", 100)))
			zw.Close()
			return b.Bytes()
		}, want: ErrCorrupt},
		{name: "truncated gzip", data: func(t *testing.T) []byte {
			b := rawTgz(t, entry{name: "a/b", body: strings.Repeat("x", 5000)})
			return b[:len(b)-10]
		}, want: ErrCorrupt},
		{name: "dot dot", data: tgzOf(entry{name: "app/../../etc/passwd", body: "x"}), want: ErrUnsafePath, mention: "etc/passwd"},
		{name: "dot dot dir entry", data: tgzOf(entry{name: "../", typ: tar.TypeDir}), want: ErrUnsafePath},
		{name: "absolute", data: tgzOf(entry{name: "/etc/cron.d/x", body: "x"}), want: ErrUnsafePath, mention: "/etc/cron.d/x"},
		{name: "backslash", data: tgzOf(entry{name: `app\..\x`, body: "x"}), want: ErrUnsafePath},
		{name: "drive letter", data: tgzOf(entry{name: `C:/x`, body: "x"}), want: ErrUnsafePath},
		{name: "control char", data: tgzOf(entry{name: "app/a\nb", body: "x"}), want: ErrUnsafePath},
		{name: "symlink", data: tgzOf(entry{name: "app/l", typ: tar.TypeSymlink, linkname: "/etc/passwd"}), want: ErrLink, mention: "app/l"},
		{name: "hardlink", data: tgzOf(entry{name: "app/a", body: "x"}, entry{name: "app/h", typ: tar.TypeLink, linkname: "app/a"}), want: ErrLink},
		{name: "char device", data: tgzOf(entry{name: "app/null", typ: tar.TypeChar}), want: ErrSpecialFile, mention: "app/null"},
		{name: "fifo", data: tgzOf(entry{name: "app/fifo", typ: tar.TypeFifo}), want: ErrSpecialFile},
		{name: "duplicate", data: tgzOf(entry{name: "app/a", body: "1"}, entry{name: "app/./a", body: "2"}), want: ErrDuplicate, mention: "app/./a"},
		{name: "file then folder", data: tgzOf(entry{name: "app/a", body: "1"}, entry{name: "app/a/b", body: "2"}), want: ErrDuplicate},
		{name: "folder then file", data: tgzOf(entry{name: "app/a/b", body: "1"}, entry{name: "app/a", body: "2"}), want: ErrDuplicate},
		{name: "no files", data: tgzOf(entry{name: "app/", typ: tar.TypeDir}), want: ErrEmpty},
		{name: "file over limit", data: tgzOf(entry{name: "app/big", body: strings.Repeat("x", 2000)}), lim: Limits{MaxFile: 1000}, want: ErrTooLarge, mention: "app/big"},
		{name: "too many files", data: tgzOf(entry{name: "a/1", body: "1"}, entry{name: "a/2", body: "2"}, entry{name: "a/3", body: "3"}), lim: Limits{MaxFiles: 2}, want: ErrTooLarge},
		{name: "total over limit", data: tgzOf(entry{name: "a/1", body: strings.Repeat("x", 600)}, entry{name: "a/2", body: strings.Repeat("y", 600)}), lim: Limits{MaxTotal: 1000}, want: ErrTooLarge, mention: "a/2"},
		{name: "compressed over limit", data: func(t *testing.T) []byte { return rawTgz(t, entry{name: "a/1", body: "1"}) }, lim: Limits{MaxCompressed: 20}, want: ErrTooLarge},
		{name: "bomb by ratio", data: tgzOf(entry{name: "a/zeros", body: strings.Repeat("\x00", 8<<20)}), want: ErrTooLarge, mention: "ratio"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := Read(bytes.NewReader(tt.data(t)), tt.lim)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Read = %v, %v; want %v", a, err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "pkgfile: ") && !strings.HasPrefix(err.Error(), "read ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			if tt.mention != "" && !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not mention %q", err, tt.mention)
			}
		})
	}
}

func tgzOf(entries ...entry) func(t *testing.T) []byte {
	return func(t *testing.T) []byte { return rawTgz(t, entries...) }
}

// TestReadBombStopsEarly checks that a bomb is refused after decompressing a
// bounded amount, not after expanding it all.
func TestReadBombStopsEarly(t *testing.T) {
	t.Parallel()
	// 16 MiB of zeros compresses to ~16 KiB.
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(zw)
	const size = 16 << 20
	tw.WriteHeader(&tar.Header{Name: "a/zeros", Typeflag: tar.TypeReg, Size: size, Mode: 0o644})
	zero := make([]byte, 1<<20)
	for range size / len(zero) {
		tw.Write(zero)
	}
	tw.Close()
	zw.Close()
	cr := &countingReader{r: bytes.NewReader(buf.Bytes()), limit: 1 << 40}
	_, err := Read(cr, Limits{})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Read = %v, want ErrTooLarge", err)
	}
	if cr.n > int64(buf.Len())/4 {
		t.Errorf("read %d of %d compressed bytes before refusing", cr.n, buf.Len())
	}
}

func TestLimitsValidate(t *testing.T) {
	t.Parallel()
	if err := (Limits{MaxFile: -1, MaxRatio: -2}).Validate(); err == nil || !strings.Contains(err.Error(), "MaxFile") || !strings.Contains(err.Error(), "MaxRatio") {
		t.Errorf("Validate = %v, want both bad fields named", err)
	}
	if _, err := Read(bytes.NewReader(nil), Limits{MaxFiles: -1}); err == nil {
		t.Error("Read accepted negative limits")
	}
	d := DefaultLimits()
	if d.MaxCompressed != 64<<20 || d.MaxTotal != 256<<20 || d.MaxFile != 32<<20 || d.MaxFiles != 10000 || d.MaxRatio != 200 {
		t.Errorf("DefaultLimits = %+v", d)
	}
}

// FuzzRead checks that Read never panics and that whatever it accepts has
// only safe relative paths.
func FuzzRead(f *testing.F) {
	f.Add(rawTgz(f, entry{name: "app/package.json", body: `{"name":"x"}`}, entry{name: "app/confd/", typ: tar.TypeDir}))
	f.Add(rawTgz(f, entry{name: "../x", body: "x"}))
	f.Add(rawTgz(f, entry{name: "a/l", typ: tar.TypeSymlink, linkname: "/"}))
	f.Add(rawTgz(f, entry{name: "a/x", body: "1"}, entry{name: "a/x", body: "2"}))
	f.Add([]byte("not gzip"))
	f.Add([]byte{0x1f, 0x8b})
	var w bytes.Buffer
	Write(&w, "p", map[string][]byte{"a": []byte("1"), "b/c": []byte("2")})
	f.Add(w.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Read(bytes.NewReader(data), Limits{MaxTotal: 1 << 20, MaxFile: 1 << 19, MaxFiles: 100})
		if err != nil {
			return
		}
		if len(a.Order) != len(a.Files) || len(a.Files) == 0 {
			t.Fatalf("Order %v does not match %d files", a.Order, len(a.Files))
		}
		for _, name := range a.Order {
			if _, ok := a.Files[name]; !ok {
				t.Fatalf("Order names %q, not in Files", name)
			}
			if name == "" || name == "." || path.IsAbs(name) || path.Clean(name) != name || strings.Contains(name, `\`) {
				t.Fatalf("unsafe path %q accepted", name)
			}
			for seg := range strings.SplitSeq(name, "/") {
				if seg == ".." {
					t.Fatalf("path %q climbs out", name)
				}
			}
		}
		if strings.ContainsAny(a.Top, `/\`) || a.Top == ".." {
			t.Fatalf("unsafe top %q", a.Top)
		}
	})
}

var _ io.Reader = (*bombGuard)(nil)
