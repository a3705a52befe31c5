package pkgfile

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"
)

// fixedTime is the modification time of every entry Write emits, so that
// equal files give equal archives.
var fixedTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Write writes files as a deterministic gzip-compressed tar to w: entries
// sorted by path, each under top/ (when top is not ""), mode 0644, owner 0,
// fixed times, and no gzip name or time. Paths must be safe relative paths
// (the ones Read accepts); Write refuses the others so it never produces an
// archive Read would reject.
func Write(w io.Writer, top string, files map[string][]byte) error {
	if top != "" {
		if clean, err := cleanPath(top); err != nil || clean != top || clean == "." || strings.Contains(top, "/") {
			return fmt.Errorf("%w: top folder %q", ErrUnsafePath, top)
		}
	}
	names := make([]string, 0, len(files))
	for name := range files {
		clean, err := cleanPath(name)
		if err != nil {
			return err
		}
		if clean != name || clean == "." {
			return fmt.Errorf("%w: %q is not clean", ErrUnsafePath, name)
		}
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for p := path.Dir(name); p != "."; p = path.Dir(p) {
			if _, ok := files[p]; ok {
				return fmt.Errorf("%w: %q is both a file and a folder", ErrDuplicate, p)
			}
		}
	}

	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return fmt.Errorf("pkgfile: gzip writer: %w", err)
	}
	tw := tar.NewWriter(zw)
	for _, name := range names {
		full := name
		if top != "" {
			full = path.Join(top, name)
		}
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     full,
			Mode:     0o644,
			Size:     int64(len(files[name])),
			ModTime:  fixedTime,
			Format:   tar.FormatPAX,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("pkgfile: write header %q: %w", full, err)
		}
		if _, err := tw.Write(files[name]); err != nil {
			return fmt.Errorf("pkgfile: write %q: %w", full, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("pkgfile: close tar: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("pkgfile: close gzip: %w", err)
	}
	return nil
}
