package metadata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Errors of the store.
var (
	ErrClosed           = errors.New("metadata: store closed")
	ErrNotFound         = errors.New("metadata: cluster not found")
	ErrInstanceConflict = errors.New("metadata: instance belongs to another cluster")
)

const (
	fileSuffix    = ".json"
	tempPrefix    = ".tmp-"
	formatVersion = 1
)

// record is the file format of one cluster.
type record struct {
	Version int     `json:"version"`
	Cluster Cluster `json:"cluster"`
}

// Store is a Frontgate's durable set of cluster descriptions, one file per
// cluster in its directory. Its methods are safe for concurrent use.
type Store struct {
	dir  string
	done chan struct{}
	wg   sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	clusters map[string]*entry   // cluster id -> entry
	owner    map[string]string   // instance id -> cluster id
	watchers map[*watcher]string // watcher -> instance id
}

type entry struct {
	c    Cluster
	tree Tree
}

type watcher struct {
	notify chan struct{} // capacity 1: a pending "look again"
}

// OpenStore opens (creating it if needed) the store in dir and loads every
// cluster in it. Temporary files of interrupted writes are removed; a file
// that does not parse is an error naming it.
func OpenStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open metadata store %s: %w", dir, err)
	}
	s := &Store{
		dir:      dir,
		done:     make(chan struct{}),
		clusters: map[string]*entry{},
		owner:    map[string]string{},
		watchers: map[*watcher]string{},
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("open metadata store %s: %w", dir, err)
	}
	for _, de := range ents {
		name := de.Name()
		switch {
		case strings.HasPrefix(name, tempPrefix):
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("open metadata store %s: remove leftover %s: %w", dir, name, err)
			}
		case strings.HasSuffix(name, fileSuffix) && de.Type().IsRegular():
			if err := s.load(filepath.Join(dir, name)); err != nil {
				return nil, fmt.Errorf("open metadata store %s: %w", dir, err)
			}
		}
	}
	return s, nil
}

func (s *Store) load(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var rec record
	if err := json.Unmarshal(data, &rec); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if rec.Version != formatVersion {
		return fmt.Errorf("%s: format version %d, want %d", file, rec.Version, formatVersion)
	}
	if err := rec.Cluster.Validate(); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if want := rec.Cluster.ClusterID + fileSuffix; filepath.Base(file) != want {
		return fmt.Errorf("%s: holds cluster %q", file, rec.Cluster.ClusterID)
	}
	if err := s.index(rec.Cluster); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}

// instances returns the ids of the instances c owns: its hosts and the hosts
// being added.
func instances(c Cluster) []string {
	ids := make([]string, 0, len(c.Hosts)+len(c.Adding))
	for _, h := range c.Hosts {
		ids = append(ids, h.InstanceID)
	}
	for _, h := range c.Adding {
		ids = append(ids, h.InstanceID)
	}
	return ids
}

// index makes c current in memory. Callers hold s.mu (or own s alone).
func (s *Store) index(c Cluster) error {
	for _, id := range instances(c) {
		if other, ok := s.owner[id]; ok && other != c.ClusterID {
			return fmt.Errorf("%w: instance %q of cluster %q is in cluster %q", ErrInstanceConflict, id, c.ClusterID, other)
		}
	}
	if old, ok := s.clusters[c.ClusterID]; ok {
		for _, id := range instances(old.c) {
			delete(s.owner, id)
		}
	}
	for _, id := range instances(c) {
		s.owner[id] = c.ClusterID
	}
	s.clusters[c.ClusterID] = &entry{c: c, tree: Build(c)}
	return nil
}

// Put stores c under clusterID (which must equal c.ClusterID, or c.ClusterID
// is empty and takes it), durably before it returns, and wakes the watchers
// of the instances it adds, changes or removes.
func (s *Store) Put(clusterID string, c Cluster) error {
	if c.ClusterID == "" {
		c.ClusterID = clusterID
	}
	if c.ClusterID != clusterID {
		return fmt.Errorf("%w %q: cluster_id %q differs", ErrInvalid, clusterID, c.ClusterID)
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if strings.HasPrefix(clusterID, ".") {
		return fmt.Errorf("%w %q: a cluster id must not start with a dot", ErrInvalid, clusterID)
	}
	data, err := json.Marshal(record{Version: formatVersion, Cluster: c})
	if err != nil {
		return fmt.Errorf("put cluster %q: %w", clusterID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	for _, id := range instances(c) {
		if other, ok := s.owner[id]; ok && other != clusterID {
			return fmt.Errorf("put cluster %q: %w: instance %q is in cluster %q", clusterID, ErrInstanceConflict, id, other)
		}
	}
	if err := writeAtomic(s.dir, clusterID+fileSuffix, data); err != nil {
		return fmt.Errorf("put cluster %q: %w", clusterID, err)
	}
	affected := s.instancesOf(clusterID)
	if err := s.index(c); err != nil {
		return fmt.Errorf("put cluster %q: %w", clusterID, err) // checked above; kept for safety
	}
	for _, id := range instances(c) {
		affected[id] = true
	}
	s.wake(affected)
	return nil
}

// Delete removes the cluster clusterID, durably, and wakes its watchers; it
// fails with ErrNotFound when there is no such cluster.
func (s *Store) Delete(clusterID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if _, ok := s.clusters[clusterID]; !ok {
		return fmt.Errorf("delete cluster %q: %w", clusterID, ErrNotFound)
	}
	if err := os.Remove(filepath.Join(s.dir, clusterID+fileSuffix)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete cluster %q: %w", clusterID, err)
	}
	if err := syncDir(s.dir); err != nil {
		return fmt.Errorf("delete cluster %q: %w", clusterID, err)
	}
	affected := s.instancesOf(clusterID)
	for id := range affected {
		delete(s.owner, id)
	}
	delete(s.clusters, clusterID)
	s.wake(affected)
	return nil
}

// Cluster returns the stored description of clusterID.
func (s *Store) Cluster(clusterID string) (Cluster, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.clusters[clusterID]
	if !ok {
		return Cluster{}, false
	}
	return e.c, true
}

// View returns the current view of instanceID, or ErrUnknownInstance.
func (s *Store) View(instanceID string) (View, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.viewLocked(instanceID)
}

func (s *Store) viewLocked(instanceID string) (View, error) {
	cid, ok := s.owner[instanceID]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownInstance, instanceID)
	}
	return SelfView(s.clusters[cid].tree, instanceID)
}

func (s *Store) instancesOf(clusterID string) map[string]bool {
	ids := map[string]bool{}
	if e, ok := s.clusters[clusterID]; ok {
		for _, id := range instances(e.c) {
			ids[id] = true
		}
	}
	return ids
}

// wake tells the watchers of the given instances to look again. Callers
// hold s.mu.
func (s *Store) wake(ids map[string]bool) {
	for w, id := range s.watchers {
		if ids[id] {
			select {
			case w.notify <- struct{}{}:
			default: // a wake-up is already pending
			}
		}
	}
}

// Watch returns a channel that delivers instanceID's view now (if the
// instance is known) and again each time it differs from the last one
// delivered. Changes that happen while the receiver is busy are coalesced:
// it gets the latest view, not every step. An empty View means the instance
// is no longer registered. The channel is closed when ctx is done or the
// store is closed; the goroutine behind it belongs to the store.
func (s *Store) Watch(ctx context.Context, instanceID string) <-chan View {
	out := make(chan View)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		close(out)
		return out
	}
	w := &watcher{notify: make(chan struct{}, 1)}
	s.watchers[w] = instanceID
	s.wg.Go(func() {
		defer close(out)
		defer func() {
			s.mu.Lock()
			delete(s.watchers, w)
			s.mu.Unlock()
		}()
		s.watch(ctx, instanceID, w, out)
	})
	return out
}

func (s *Store) watch(ctx context.Context, id string, w *watcher, out chan<- View) {
	current := func() View {
		s.mu.Lock()
		defer s.mu.Unlock()
		v, err := s.viewLocked(id)
		if err != nil {
			return View{}
		}
		return v
	}
	last := View{}
	pending := current()
	for {
		if !maps.Equal(pending, last) {
			select {
			case out <- pending:
				last = pending
			case <-w.notify:
				pending = current()
			case <-ctx.Done():
				return
			case <-s.done:
				return
			}
			continue
		}
		select {
		case <-w.notify:
			pending = current()
		case <-ctx.Done():
			return
		case <-s.done:
			return
		}
	}
}

// Close stops every watch (closing their channels) and waits for their
// goroutines. It is idempotent. Data is already on disk.
func (s *Store) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// writeAtomic replaces dir/name with data: a temp file in dir is written,
// synced and renamed over the old file, then dir is synced, so a crash
// leaves the old or the new file, never a torn one.
func writeAtomic(dir, name string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, tempPrefix+name+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmp) // best effort; OpenStore removes leftovers too
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
