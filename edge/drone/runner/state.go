package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// state is the runner's directory:
//
//	done/<key>.json   the Result of a finished command (key = sha256 of its id)
//	running/<key>     the id of a command running now
//	tmp/              scratch output and temp files of atomic writes
type state struct {
	done, running, tmp string
	interrupted        []string
}

func openState(dir string) (*state, error) {
	st := &state{
		done:    filepath.Join(dir, "done"),
		running: filepath.Join(dir, "running"),
		tmp:     filepath.Join(dir, "tmp"),
	}
	for _, d := range []string{st.done, st.running} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("open runner state %s: %w", dir, err)
		}
	}
	// Scratch files of a previous process are garbage.
	if err := os.RemoveAll(st.tmp); err != nil {
		return nil, fmt.Errorf("open runner state %s: %w", dir, err)
	}
	if err := os.MkdirAll(st.tmp, 0o700); err != nil {
		return nil, fmt.Errorf("open runner state %s: %w", dir, err)
	}
	ents, err := os.ReadDir(st.running)
	if err != nil {
		return nil, fmt.Errorf("open runner state %s: %w", dir, err)
	}
	for _, de := range ents {
		marker := filepath.Join(st.running, de.Name())
		id, err := os.ReadFile(marker)
		if err != nil {
			return nil, fmt.Errorf("open runner state: %w", err)
		}
		// A marker beside a stored result is a crash between storing and
		// clearing: the command finished.
		if _, err := os.Stat(filepath.Join(st.done, de.Name()+".json")); errors.Is(err, fs.ErrNotExist) {
			st.interrupted = append(st.interrupted, string(id))
		}
		if err := os.Remove(marker); err != nil {
			return nil, fmt.Errorf("open runner state: %w", err)
		}
	}
	if err := syncDir(st.running); err != nil {
		return nil, fmt.Errorf("open runner state %s: %w", dir, err)
	}
	return st, nil
}

func key(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// load returns the stored result of id, if any.
func (st *state) load(id string) (Result, bool, error) {
	data, err := os.ReadFile(filepath.Join(st.done, key(id)+".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return Result{}, false, nil
	}
	if err != nil {
		return Result{}, false, fmt.Errorf("load result: %w", err)
	}
	var res Result
	if err := json.Unmarshal(data, &res); err != nil {
		return Result{}, false, fmt.Errorf("load result %s: %w", key(id), err)
	}
	if res.ID != id {
		return Result{}, false, fmt.Errorf("load result %s: holds command %q", key(id), res.ID)
	}
	return res, true, nil
}

func (st *state) store(res Result) error {
	data, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("store result: %w", err)
	}
	return st.writeAtomic(st.done, key(res.ID)+".json", data)
}

func (st *state) markRunning(id string) error {
	return st.writeAtomic(st.running, key(id), []byte(id))
}

func (st *state) unmarkRunning(id string) error {
	if err := os.Remove(filepath.Join(st.running, key(id))); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// scratch creates a temp file for a command's output.
func (st *state) scratch(what string) (*os.File, error) {
	return os.CreateTemp(st.tmp, what+"-*")
}

// prune removes stored results of commands that started before t.
func (st *state) prune(before time.Time) (int, error) {
	ents, err := os.ReadDir(st.done)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, de := range ents {
		if !strings.HasSuffix(de.Name(), ".json") {
			continue
		}
		file := filepath.Join(st.done, de.Name())
		data, err := os.ReadFile(file)
		if err != nil {
			return n, err
		}
		var res Result
		if json.Unmarshal(data, &res) == nil && !res.Started.Before(before) {
			continue
		}
		if err := os.Remove(file); err != nil {
			return n, err
		}
		n++
	}
	return n, syncDir(st.done)
}

// writeAtomic replaces dir/name with data (temp file, fsync, rename, fsync
// of dir), so a crash leaves the old or the new content.
func (st *state) writeAtomic(dir, name string, data []byte) (err error) {
	f, err := os.CreateTemp(st.tmp, "write-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(f.Name())
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
	if err = os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
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

// readCapped reads f from the start, keeping at most max bytes: all of it
// when it fits, else the first and last halves around a marker.
func readCapped(f *os.File, max int) ([]byte, bool) {
	fi, err := f.Stat()
	if err != nil {
		return []byte(fmt.Sprintf("[output unreadable: %v]", err)), true
	}
	size := fi.Size()
	if size <= int64(max) {
		buf := make([]byte, size)
		n, _ := f.ReadAt(buf, 0)
		return buf[:n], false
	}
	head := max / 2
	tail := max - head
	buf := make([]byte, 0, max+64)
	h := make([]byte, head)
	n, _ := f.ReadAt(h, 0)
	buf = append(buf, h[:n]...)
	buf = fmt.Appendf(buf, "\n... [%d bytes omitted] ...\n", size-int64(head)-int64(tail))
	tl := make([]byte, tail)
	n, err = f.ReadAt(tl, size-int64(tail))
	if err != nil && !errors.Is(err, io.EOF) {
		n = 0
	}
	buf = append(buf, tl[:n]...)
	return buf, true
}
