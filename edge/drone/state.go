package drone

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pitrix/pitrix/edge/drone/confd"
)

// Files of the state directory (besides runner/, the runner's own).
const (
	bundleFileName = "bundle.json"
	viewFileName   = "view.json"
	markerFileName = "render.pending"
	runnerDirName  = "runner"
	stateVersion   = 1
	maxBundleFile  = 64 << 20
)

var errBadState = errors.New("drone: bad state file")

// bundle is a cluster's confd files as the Frontgate sent them (paths relative to confd/) and
// what confd made of them.
type bundle struct {
	clusterID string
	files     map[string][]byte
	loaded    confd.Bundle
}

// savedBundle is the on-disk form of a bundle.
type savedBundle struct {
	Version   int               `json:"version"`
	ClusterID string            `json:"cluster_id"`
	Files     map[string][]byte `json:"files"`
}

// loadBundle checks a bundle's files with confd.Load.
func loadBundle(clusterID string, files map[string][]byte) (*bundle, error) {
	pkg := make(map[string][]byte, len(files))
	for name, data := range files {
		pkg["confd/"+name] = data
	}
	b, err := confd.Load(pkg)
	if err != nil {
		return nil, fmt.Errorf("bundle of cluster %q: %w", clusterID, err)
	}
	if files == nil {
		files = map[string][]byte{}
	}
	return &bundle{clusterID: clusterID, files: files, loaded: b}, nil
}

// decodeBundle parses a saved bundle.
func decodeBundle(data []byte) (*bundle, error) {
	if len(data) > maxBundleFile {
		return nil, fmt.Errorf("%w: %d bytes", errBadState, len(data))
	}
	var sb savedBundle
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sb); err != nil {
		return nil, fmt.Errorf("%w: %w", errBadState, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the JSON object", errBadState)
	}
	if sb.Version != stateVersion {
		return nil, fmt.Errorf("%w: format version %d, want %d", errBadState, sb.Version, stateVersion)
	}
	b, err := loadBundle(sb.ClusterID, sb.Files)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadState, err)
	}
	return b, nil
}

func encodeBundle(b *bundle) ([]byte, error) {
	return json.Marshal(savedBundle{Version: stateVersion, ClusterID: b.clusterID, Files: b.files})
}

// readState reads a state file; a missing one gives nil, nil.
func readState(dir, name string) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return data, err
}

// clearTemps removes temporary files of interrupted writes.
func clearTemps(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, de := range ents {
		if strings.HasPrefix(de.Name(), ".tmp-") {
			if err := os.Remove(filepath.Join(dir, de.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	return nil
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
			_ = os.Remove(tmp) // best effort; New removes leftovers too
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

// removeDurably removes dir/name (a missing file is fine) and syncs dir.
func removeDurably(dir, name string) error {
	if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
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
