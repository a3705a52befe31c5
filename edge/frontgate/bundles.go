package frontgate

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/pitrix/pitrix/edge/drone/confd"
)

// Limits of a bundle.
const (
	maxBundleFiles = 1024
	maxBundleBytes = 3 << 20 // below wire's default frame, so a stored bundle can always be pushed
	maxNameBytes   = 512
	bundleVersion  = 1
)

var errBadBundle = errors.New("frontgate: bad bundle")

// bundle is one cluster's confd files (paths relative to confd/) and a digest of them.
type bundle struct {
	files map[string][]byte
	hash  string
}

// bundleFile is the on-disk form of a bundle.
type bundleFile struct {
	Version   int               `json:"version"`
	ClusterID string            `json:"cluster_id"`
	Files     map[string][]byte `json:"files"`
}

// bundleStore keeps each cluster's bundle in dir/<cluster_id>.json, written atomically, and
// tells watchers when one changes. Safe for concurrent use.
type bundleStore struct {
	dir string

	mu      sync.Mutex
	bundles map[string]bundle
	changed chan struct{} // closed and replaced on every change
}

func openBundles(dir string) (*bundleStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open bundles %s: %w", dir, err)
	}
	bs := &bundleStore{dir: dir, bundles: map[string]bundle{}, changed: make(chan struct{})}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("open bundles %s: %w", dir, err)
	}
	for _, de := range ents {
		name := de.Name()
		switch {
		case strings.HasPrefix(name, ".tmp-"):
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("open bundles %s: remove leftover %s: %w", dir, name, err)
			}
		case strings.HasSuffix(name, ".json") && de.Type().IsRegular():
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				return nil, fmt.Errorf("open bundles %s: %w", dir, err)
			}
			bf, err := decodeBundleFile(data)
			if err != nil {
				return nil, fmt.Errorf("open bundles: %s: %w", filepath.Join(dir, name), err)
			}
			if bf.ClusterID+".json" != name {
				return nil, fmt.Errorf("open bundles: %s holds cluster %q", filepath.Join(dir, name), bf.ClusterID)
			}
			bs.bundles[bf.ClusterID] = bundle{files: bf.Files, hash: bundleHash(bf.Files)}
		}
	}
	return bs, nil
}

// decodeBundleFile parses and checks a stored bundle.
func decodeBundleFile(data []byte) (bundleFile, error) {
	var bf bundleFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&bf); err != nil {
		return bundleFile{}, fmt.Errorf("%w: %w", errBadBundle, err)
	}
	if dec.More() {
		return bundleFile{}, fmt.Errorf("%w: data after the JSON object", errBadBundle)
	}
	if bf.Version != bundleVersion {
		return bundleFile{}, fmt.Errorf("%w: format version %d, want %d", errBadBundle, bf.Version, bundleVersion)
	}
	if err := checkBundle(bf.ClusterID, bf.Files); err != nil {
		return bundleFile{}, err
	}
	if bf.Files == nil {
		bf.Files = map[string][]byte{}
	}
	return bf, nil
}

// checkClusterID reports whether id can name a cluster file.
func checkClusterID(id string) error {
	switch {
	case id == "":
		return errors.New("cluster_id is empty")
	case len(id) > 253:
		return fmt.Errorf("cluster_id of %d bytes, at most 253", len(id))
	case strings.HasPrefix(id, "."), strings.ContainsAny(id, "/\\\x00"):
		return fmt.Errorf("cluster_id %q must not start with a dot or contain a slash, backslash or NUL", id)
	}
	return nil
}

// checkBundle validates a bundle as received: its cluster id, its file names (clean relative
// paths), its size, and that confd can load it. Every problem of the names is reported.
func checkBundle(clusterID string, files map[string][]byte) error {
	if err := checkClusterID(clusterID); err != nil {
		return fmt.Errorf("%w: %w", errBadBundle, err)
	}
	if len(files) > maxBundleFiles {
		return fmt.Errorf("%w: cluster %q: %d files, at most %d", errBadBundle, clusterID, len(files), maxBundleFiles)
	}
	var errs []string
	total := 0
	for _, name := range slices.Sorted(maps.Keys(files)) {
		total += len(name) + len(files[name])
		if len(name) > maxNameBytes || name == "" || path.Clean(name) != name || !filepath.IsLocal(name) || strings.ContainsAny(name, "\\\x00") {
			errs = append(errs, fmt.Sprintf("file name %q is not a clean relative path", truncate(name, 80)))
		}
	}
	if total > maxBundleBytes {
		errs = append(errs, fmt.Sprintf("%d bytes, at most %d", total, maxBundleBytes))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: cluster %q: %s", errBadBundle, clusterID, strings.Join(errs, "; "))
	}
	if _, err := confd.Load(packageFiles(files)); err != nil {
		return fmt.Errorf("%w: cluster %q: %w", errBadBundle, clusterID, err)
	}
	return nil
}

// packageFiles names bundle files as confd.Load wants them: relative to the package's top
// folder.
func packageFiles(files map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(files))
	for name, data := range files {
		out["confd/"+name] = data
	}
	return out
}

// bundleHash digests files: equal bundles, equal digests.
func bundleHash(files map[string][]byte) string {
	h := sha256.New()
	var n [8]byte
	for _, name := range slices.Sorted(maps.Keys(files)) {
		binary.BigEndian.PutUint64(n[:], uint64(len(name)))
		h.Write(n[:])
		h.Write([]byte(name))
		binary.BigEndian.PutUint64(n[:], uint64(len(files[name])))
		h.Write(n[:])
		h.Write(files[name])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// put stores files as clusterID's bundle, durably, after checking them.
func (bs *bundleStore) put(clusterID string, files map[string][]byte) error {
	if err := checkBundle(clusterID, files); err != nil {
		return err
	}
	files = maps.Clone(files)
	if files == nil {
		files = map[string][]byte{}
	}
	data, err := json.Marshal(bundleFile{Version: bundleVersion, ClusterID: clusterID, Files: files})
	if err != nil {
		return fmt.Errorf("put bundle of cluster %q: %w", clusterID, err)
	}
	hash := bundleHash(files)
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if old, ok := bs.bundles[clusterID]; ok && old.hash == hash {
		return nil
	}
	if err := writeAtomic(bs.dir, clusterID+".json", data); err != nil {
		return fmt.Errorf("put bundle of cluster %q: %w", clusterID, err)
	}
	bs.bundles[clusterID] = bundle{files: files, hash: hash}
	bs.notifyLocked()
	return nil
}

// delete removes clusterID's bundle, durably; a missing one is not an error.
func (bs *bundleStore) delete(clusterID string) error {
	if err := checkClusterID(clusterID); err != nil {
		return fmt.Errorf("%w: %w", errBadBundle, err)
	}
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if err := os.Remove(filepath.Join(bs.dir, clusterID+".json")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete bundle of cluster %q: %w", clusterID, err)
	}
	if err := syncDir(bs.dir); err != nil {
		return fmt.Errorf("delete bundle of cluster %q: %w", clusterID, err)
	}
	if _, ok := bs.bundles[clusterID]; ok {
		delete(bs.bundles, clusterID)
		bs.notifyLocked()
	}
	return nil
}

// get returns clusterID's bundle. The files map is shared: callers must not modify it.
func (bs *bundleStore) get(clusterID string) (bundle, bool) {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	b, ok := bs.bundles[clusterID]
	return b, ok
}

// changes returns a channel closed at the next change of any bundle.
func (bs *bundleStore) changes() <-chan struct{} {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	return bs.changed
}

func (bs *bundleStore) notifyLocked() {
	close(bs.changed)
	bs.changed = make(chan struct{})
}

// writeAtomic replaces dir/name with data: temp file, fsync, rename, fsync of dir, so a crash
// leaves the old or the new file, never a torn one.
func writeAtomic(dir, name string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, ".tmp-"+name+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmp) // best effort; openBundles removes leftovers too
		}
	}()
	if _, err = f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if err = f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
