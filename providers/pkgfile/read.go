package pkgfile

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors of Read. Returned errors wrap one of them and name the
// offending entry where there is one.
var (
	ErrNotGzip     = errors.New("pkgfile: not a gzip stream")
	ErrCorrupt     = errors.New("pkgfile: corrupt archive")
	ErrUnsafePath  = errors.New("pkgfile: unsafe path")
	ErrLink        = errors.New("pkgfile: links are not allowed")
	ErrSpecialFile = errors.New("pkgfile: special files are not allowed")
	ErrDuplicate   = errors.New("pkgfile: duplicate path")
	ErrTooLarge    = errors.New("pkgfile: archive too large")
	ErrEmpty       = errors.New("pkgfile: archive has no files")
)

// Archive is the content of a package archive: regular files only.
type Archive struct {
	// Top is the single top folder every file sat under ("redis-1.0.0"), or
	// "" when the files do not share one.
	Top string
	// Files maps a path relative to Top (clean, "/"-separated, never absolute,
	// never with "..") to the file's content.
	Files map[string][]byte
	// Order lists the keys of Files in archive order.
	Order []string
}

// Read reads a gzip-compressed tar archive from r within lim (zero fields take
// the defaults) and returns its regular files. Directory entries and pax
// global headers are skipped; anything else that is not a regular file is an
// error, as are unsafe or duplicate paths and every limit overrun. Read
// decompresses the whole gzip stream so that a bad checksum is caught.
func Read(r io.Reader, lim Limits) (*Archive, error) {
	if err := lim.Validate(); err != nil {
		return nil, err
	}
	lim = lim.withDefaults()

	cr := &countingReader{r: r, limit: lim.MaxCompressed}
	br := bufio.NewReader(cr)
	if magic, err := br.Peek(2); err != nil || magic[0] != 0x1f || magic[1] != 0x8b {
		if cr.err != nil {
			return nil, cr.err
		}
		return nil, ErrNotGzip
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		if cr.err != nil {
			return nil, cr.err
		}
		return nil, fmt.Errorf("%w: %w", ErrNotGzip, err)
	}
	dr := &bombGuard{r: zr, compressed: cr, maxTotal: lim.MaxTotal, maxRatio: int64(lim.MaxRatio)}

	a := &Archive{Files: map[string][]byte{}}
	names := map[string]bool{} // full cleaned paths of files
	dirs := map[string]bool{}  // every parent folder of a file
	var total int64
	entries := 0
	tr := tar.NewReader(dr)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, readErr(dr, cr, "", err)
		}
		entries++
		if entries > lim.MaxFiles {
			return nil, fmt.Errorf("%w: more than %d entries", ErrTooLarge, lim.MaxFiles)
		}
		name, err := cleanPath(hdr.Name)
		if err != nil {
			return nil, err
		}
		switch hdr.Typeflag {
		case tar.TypeDir, tar.TypeXGlobalHeader:
			continue
		case tar.TypeReg:
			if name == "." {
				return nil, fmt.Errorf("%w: %q is not a file name", ErrUnsafePath, hdr.Name)
			}
		case tar.TypeSymlink, tar.TypeLink:
			return nil, fmt.Errorf("%w: %q links to %q", ErrLink, hdr.Name, hdr.Linkname)
		default:
			return nil, fmt.Errorf("%w: %q has type %q", ErrSpecialFile, hdr.Name, hdr.Typeflag)
		}
		if hdr.Size < 0 || hdr.Size > lim.MaxFile {
			return nil, fmt.Errorf("%w: %q is %d bytes, limit %d", ErrTooLarge, hdr.Name, hdr.Size, lim.MaxFile)
		}
		total += hdr.Size
		if total > lim.MaxTotal {
			return nil, fmt.Errorf("%w: files add up to more than %d bytes at %q", ErrTooLarge, lim.MaxTotal, hdr.Name)
		}
		if names[name] {
			return nil, fmt.Errorf("%w: %q", ErrDuplicate, hdr.Name)
		}
		if dirs[name] {
			return nil, fmt.Errorf("%w: %q is both a file and a folder", ErrDuplicate, hdr.Name)
		}
		for p := path.Dir(name); p != "."; p = path.Dir(p) {
			if names[p] {
				return nil, fmt.Errorf("%w: %q is both a file and a folder", ErrDuplicate, p)
			}
			dirs[p] = true
		}
		// Grow as the bytes arrive rather than trusting the header's size.
		var data bytes.Buffer
		data.Grow(int(min(hdr.Size, 64<<10)))
		if _, err := io.Copy(&data, tr); err != nil {
			return nil, readErr(dr, cr, hdr.Name, err)
		}
		if int64(data.Len()) != hdr.Size {
			return nil, fmt.Errorf("%w: %q is short", ErrCorrupt, hdr.Name)
		}
		names[name] = true
		a.Files[name] = data.Bytes()
		a.Order = append(a.Order, name)
	}
	// Drain the rest of the gzip stream so that its checksum is verified.
	if _, err := io.Copy(io.Discard, dr); err != nil {
		return nil, readErr(dr, cr, "", err)
	}
	if len(a.Order) == 0 {
		return nil, ErrEmpty
	}
	a.splitTop()
	return a, nil
}

// splitTop moves a top folder shared by every file into a.Top.
func (a *Archive) splitTop() {
	top := ""
	for i, name := range a.Order {
		first, rest, ok := strings.Cut(name, "/")
		if !ok || rest == "" {
			return
		}
		if i == 0 {
			top = first
		} else if first != top {
			return
		}
	}
	files := make(map[string][]byte, len(a.Files))
	for i, name := range a.Order {
		rel := name[len(top)+1:]
		files[rel] = a.Files[name]
		a.Order[i] = rel
	}
	a.Top, a.Files = top, files
}

// readErr classifies an error met while decompressing: a limit overrun
// reported by one of our readers wins over whatever tar or gzip made of it.
func readErr(dr *bombGuard, cr *countingReader, entry string, err error) error {
	if dr.err != nil {
		err = dr.err
	} else if cr.err != nil {
		err = cr.err
	} else {
		err = fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if entry != "" {
		return fmt.Errorf("read %q: %w", entry, err)
	}
	return err
}

// cleanPath checks a tar entry name and returns it cleaned. It refuses
// absolute paths, ".." anywhere, backslashes and drive letters (which other
// systems read as separators and roots), NUL and control characters, and
// invalid UTF-8.
func cleanPath(name string) (string, error) {
	bad := func(why string) error { return fmt.Errorf("%w: %q %s", ErrUnsafePath, name, why) }
	switch {
	case name == "":
		return "", bad("is empty")
	case !utf8.ValidString(name):
		return "", bad("is not UTF-8")
	case strings.HasPrefix(name, "/"):
		return "", bad("is absolute")
	case strings.Contains(name, `\`):
		return "", bad("contains a backslash")
	case len(name) >= 2 && name[1] == ':':
		return "", bad("has a drive letter")
	}
	for _, c := range name {
		if unicode.IsControl(c) {
			return "", bad("contains a control character")
		}
	}
	for seg := range strings.SplitSeq(name, "/") {
		if seg == ".." {
			return "", bad(`contains ".."`)
		}
	}
	return path.Clean(name), nil
}

// countingReader counts the compressed bytes read and stops at limit.
type countingReader struct {
	r     io.Reader
	n     int64
	limit int64
	err   error
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if rem := c.limit + 1 - c.n; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.limit {
		c.err = fmt.Errorf("%w: compressed input exceeds %d bytes", ErrTooLarge, c.limit)
		return n, c.err
	}
	return n, err
}

// bombGuard counts the decompressed bytes and stops when they exceed the
// total limit or grow too far beyond the compressed bytes.
type bombGuard struct {
	r          io.Reader
	compressed *countingReader
	n          int64
	maxTotal   int64
	maxRatio   int64
	err        error
}

func (g *bombGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	// Tar headers and padding come on top of the file sizes the caller
	// checks against maxTotal; allow them a little room here.
	if g.n > g.maxTotal+g.maxTotal/8+(1<<20) {
		g.err = fmt.Errorf("%w: decompresses to more than %d bytes", ErrTooLarge, g.maxTotal)
		return n, g.err
	}
	if g.n > ratioFloor && g.n > g.compressed.n*g.maxRatio {
		g.err = fmt.Errorf("%w: decompression ratio above %d (%d bytes from %d)", ErrTooLarge, g.maxRatio, g.n, g.compressed.n)
		return n, g.err
	}
	return n, err
}
