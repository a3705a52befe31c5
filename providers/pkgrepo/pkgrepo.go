package pkgrepo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/pitrix/pitrix/providers/pkgfile"
	"github.com/pitrix/pitrix/providers/vm/spec"
)

// Entry is one packed package, as the index lists it.
type Entry struct {
	APIVersion  string    `json:"apiVersion"`
	Name        string    `json:"name"`
	Version     string    `json:"version"`
	AppVersion  string    `json:"appVersion,omitempty"`
	Description string    `json:"description,omitempty"`
	Home        string    `json:"home,omitempty"`
	Icon        string    `json:"icon,omitempty"`
	Keywords    []string  `json:"keywords,omitempty"`
	URLs        []string  `json:"urls"`
	Digest      string    `json:"digest"`
	Created     time.Time `json:"created"`
}

type meta struct {
	APIVersion  string   `json:"apiVersion"`
	Name        string   `json:"name"`
	Version     string   `json:"version"`
	AppVersion  string   `json:"appVersion"`
	AppVersion2 string   `json:"app_version"`
	Description string   `json:"description"`
	Home        string   `json:"home"`
	Icon        string   `json:"icon"`
	Keywords    []string `json:"keywords"`
}

// Pack packs the package source folder src into outDir/<name>-<version>.tgz and returns its
// index entry (the url is the file name, relative to the index).
func Pack(src, outDir string, created time.Time) (Entry, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: only regular files can be packed", path)
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		return Entry{}, fmt.Errorf("pack %s: %w", src, err)
	}
	var m meta
	switch {
	case files["package.json"] != nil:
		if err := json.Unmarshal(files["package.json"], &m); err != nil {
			return Entry{}, fmt.Errorf("pack %s: package.json: %w", src, err)
		}
	case files["Chart.yaml"] != nil:
		if err := yaml.Unmarshal(files["Chart.yaml"], &m); err != nil {
			return Entry{}, fmt.Errorf("pack %s: Chart.yaml: %w", src, err)
		}
	case files["config.json"] != nil:
		// An AppCenter package: no package.json; the folder is named <name>-<version>.
		var ok bool
		if m.Name, m.Version, ok = spec.IdentFromFileName(filepath.Base(src)); !ok {
			return Entry{}, fmt.Errorf("pack %s: a VM package without package.json must sit in a folder named <name>-<version>", src)
		}
	default:
		return Entry{}, fmt.Errorf("pack %s: neither package.json or config.json (a VM package) nor Chart.yaml (a Helm chart)", src)
	}
	if m.Name == "" || m.Version == "" {
		return Entry{}, fmt.Errorf("pack %s: name and version are required", src)
	}
	if m.AppVersion == "" {
		m.AppVersion = m.AppVersion2
	}
	if m.APIVersion == "" {
		m.APIVersion = "v1"
	}
	var buf bytes.Buffer
	if err := pkgfile.Write(&buf, m.Name, files); err != nil {
		return Entry{}, fmt.Errorf("pack %s: %w", src, err)
	}
	name := m.Name + "-" + m.Version + ".tgz"
	if err := os.WriteFile(filepath.Join(outDir, name), buf.Bytes(), 0o644); err != nil {
		return Entry{}, fmt.Errorf("pack %s: %w", src, err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return Entry{APIVersion: m.APIVersion, Name: m.Name, Version: m.Version, AppVersion: m.AppVersion, Description: m.Description, Home: m.Home, Icon: m.Icon,
		Keywords: m.Keywords, URLs: []string{name}, Digest: hex.EncodeToString(sum[:]), Created: created.UTC()}, nil
}

// WriteIndex writes outDir/index.yaml listing entries.
func WriteIndex(outDir string, entries []Entry, generated time.Time) error {
	byName := map[string][]Entry{}
	for _, e := range entries {
		byName[e.Name] = append(byName[e.Name], e)
	}
	for _, es := range byName {
		sort.Slice(es, func(i, j int) bool { return es[i].Version > es[j].Version })
	}
	doc := map[string]any{"apiVersion": "v1", "entries": byName, "generated": generated.UTC()}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return fmt.Errorf("write index of %s: %w", outDir, err)
	}
	return os.WriteFile(filepath.Join(outDir, "index.yaml"), b, 0o644)
}

// Build packs every package folder under srcDir (each direct subfolder) into outDir and writes
// its index.
func Build(srcDir, outDir string, now time.Time) ([]Entry, error) {
	dirs, err := os.ReadDir(srcDir)
	if err != nil {
		return nil, fmt.Errorf("build repo from %s: %w", srcDir, err)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("build repo into %s: %w", outDir, err)
	}
	var entries []Entry
	var errs []error
	for _, d := range dirs {
		if !d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			continue
		}
		e, err := Pack(filepath.Join(srcDir, d.Name()), outDir, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		entries = append(entries, e)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return entries, WriteIndex(outDir, entries, now)
}
