package confd

import (
	"io/fs"
	"os"
	"path/filepath"
)

// fsys is the file operations the renderer needs, on names relative to the
// instance root (slash-separated, local).
type fsys interface {
	ReadFile(name string) ([]byte, error)
	Stat(name string) (fs.FileInfo, error)
	MkdirAll(name string, perm fs.FileMode) error
	OpenFile(name string, flag int, perm fs.FileMode) (*os.File, error)
	Rename(oldname, newname string) error
	Remove(name string) error
	Open(name string) (*os.File, error)
	Close() error
}

// openFS returns the file system of root. A root other than "/" is opened
// as an os.Root, which refuses every name that resolves outside it,
// through ".." or symbolic links. "/" (a real VM) is the host's own file
// system, where nothing lies outside and absolute symbolic links (which
// os.Root refuses) are common.
func openFS(root string) (fsys, error) {
	if filepath.Clean(root) == "/" {
		return hostFS{}, nil
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, err
	}
	return r, nil
}

var _ fsys = (*os.Root)(nil)

type hostFS struct{}

func abs(name string) string { return filepath.Join("/", filepath.FromSlash(name)) }

func (hostFS) ReadFile(name string) ([]byte, error)         { return os.ReadFile(abs(name)) }
func (hostFS) Stat(name string) (fs.FileInfo, error)        { return os.Stat(abs(name)) }
func (hostFS) MkdirAll(name string, perm fs.FileMode) error { return os.MkdirAll(abs(name), perm) }
func (hostFS) OpenFile(name string, flag int, perm fs.FileMode) (*os.File, error) {
	return os.OpenFile(abs(name), flag, perm)
}
func (hostFS) Rename(oldname, newname string) error { return os.Rename(abs(oldname), abs(newname)) }
func (hostFS) Remove(name string) error             { return os.Remove(abs(name)) }
func (hostFS) Open(name string) (*os.File, error)   { return os.Open(abs(name)) }
func (hostFS) Close() error                         { return nil }
