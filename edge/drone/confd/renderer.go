package confd

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/pitrix/pitrix/edge/drone/runner"
	"github.com/pitrix/pitrix/edge/metadata"
)

// Errors of rendering.
var (
	ErrDestEscapes = errors.New("confd: dest escapes the instance root")
	ErrNoRunner    = errors.New("confd: no runner for check_cmd or reload_cmd")
)

// Runner runs a resource's check_cmd and reload_cmd on the instance;
// *runner.Runner is one. Render calls it from its own goroutine, one command
// at a time, and waits for the command to end.
type Runner interface {
	Run(ctx context.Context, c runner.Command) (runner.Result, error)
}

var _ Runner = (*runner.Runner)(nil)

// Defaults of Config.
const (
	DefaultCommandTimeout = 60 * time.Second
	DefaultMaxFileSize    = 4 << 20
	DefaultMaxSteps       = 1_000_000
	defaultMode           = 0o644
)

// Config configures a Renderer.
type Config struct {
	// Root is the instance root; every dest is placed under it. Empty
	// means "/" (a real VM). When set it must be absolute and exist.
	Root string
	// Runner runs check_cmd and reload_cmd. Nil is allowed when no
	// resource has them; one that does then fails with ErrNoRunner.
	Runner Runner
	// CommandTimeout bounds each check_cmd and reload_cmd. Default 60 s.
	CommandTimeout time.Duration
	// MaxFileSize bounds one rendered file. Default 4 MiB.
	MaxFileSize int
	// MaxSteps bounds loop iterations and template calls of one render;
	// it stops hostile templates. Default one million.
	MaxSteps int
	// Env is the environment ("K=V") templates read with getenv: the Drone passes its
	// commands' environment. Nil: getenv gives only defaults.
	Env []string
	// Logger receives per-resource outcomes at debug level and failures
	// at warn; default discards.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Root == "" {
		c.Root = "/"
	}
	if c.CommandTimeout == 0 {
		c.CommandTimeout = DefaultCommandTimeout
	}
	if c.MaxFileSize == 0 {
		c.MaxFileSize = DefaultMaxFileSize
	}
	if c.MaxSteps == 0 {
		c.MaxSteps = DefaultMaxSteps
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports a relative root and negative limits.
func (c Config) Validate() error {
	if c.Root != "" && !filepath.IsAbs(c.Root) {
		return fmt.Errorf("confd: Root %q must be absolute", c.Root)
	}
	if c.CommandTimeout < 0 || c.MaxFileSize < 0 || c.MaxSteps < 0 {
		return errors.New("confd: CommandTimeout, MaxFileSize and MaxSteps must not be negative")
	}
	return nil
}

// Renderer renders confd resources into an instance root. It is safe for
// concurrent use; renders are serialized.
type Renderer struct {
	cfg Config
	log *slog.Logger

	mu            sync.Mutex
	pendingReload map[string]bool // dest -> its last reload failed
	env           map[string]string
}

// New returns a Renderer for cfg.
func New(cfg Config) (*Renderer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Renderer{cfg: cfg, log: cfg.Logger.With("component", "confd"), pendingReload: map[string]bool{}, env: envMap(cfg.Env)}, nil
}

// Status is the outcome of one resource.
type Status int

// Outcomes of a resource.
const (
	StatusUnchanged Status = iota
	StatusChanged
	StatusError
	// StatusReloadFailed: the file is in place but its reload_cmd failed, and the resource
	// does not ask for that to fail the job (reload_fails_job).
	StatusReloadFailed
)

func (s Status) String() string {
	switch s {
	case StatusChanged:
		return "changed"
	case StatusError:
		return "error"
	case StatusReloadFailed:
		return "reload_failed"
	default:
		return "unchanged"
	}
}

// Report is what Render did with one resource.
type Report struct {
	Name     string // the toml, e.g. "confd/conf.d/redis.toml"
	Dest     string // the file on disk (under the root)
	Changed  bool   // the file was replaced
	Reloaded bool   // reload_cmd ran and succeeded
	Err      error  // why the resource failed; the file may have changed (Changed) when only the reload failed
	// ReloadFailed says Err is the reload_cmd's; FailsJob that the resource asks for a failed
	// reload to fail the job (reload_fails_job).
	ReloadFailed, FailsJob bool
}

// Status summarizes r: reload_failed if only a reload failed (and the resource does not ask
// for that to fail the job), error if Err is set, else changed or unchanged.
func (r Report) Status() Status {
	switch {
	case r.Err != nil && r.ReloadFailed && !r.FailsJob:
		return StatusReloadFailed
	case r.Err != nil:
		return StatusError
	case r.Changed:
		return StatusChanged
	default:
		return StatusUnchanged
	}
}

// CommandError is a check_cmd or reload_cmd that did not succeed.
type CommandError struct {
	Which    string // "check_cmd" or "reload_cmd"
	Cmd      string
	ExitCode int
	Stderr   string // its tail
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("%s %q exited with %d: %s", e.Which, e.Cmd, e.ExitCode, e.Stderr)
}

// Render renders every resource of b from v (the instance's /self view), in
// order, and reports on each. A failing resource does not stop the others.
func (r *Renderer) Render(ctx context.Context, b Bundle, v metadata.View) []Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	reports := make([]Report, 0, len(b.Resources))
	fsys, err := openFS(r.cfg.Root)
	if err != nil {
		for _, res := range b.Resources {
			reports = append(reports, Report{Name: res.Name, Dest: res.Dest, Err: fmt.Errorf("open instance root %s: %w", r.cfg.Root, err)})
		}
		return reports
	}
	defer fsys.Close()
	prefix := b.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	for _, res := range b.Resources {
		rep := r.renderOne(ctx, fsys, prefix, res, v)
		if rep.Err != nil {
			r.log.Warn("render resource", "resource", rep.Name, "dest", rep.Dest, "err", rep.Err)
		} else {
			r.log.Debug("render resource", "resource", rep.Name, "dest", rep.Dest, "status", rep.Status().String(), "reloaded", rep.Reloaded)
		}
		reports = append(reports, rep)
	}
	return reports
}

func (r *Renderer) renderOne(ctx context.Context, fsys fsys, prefix string, res Resource, v metadata.View) Report {
	rep := Report{Name: res.Name, Dest: res.Dest}
	fail := func(err error) Report {
		rep.Err = fmt.Errorf("%s: %w", res.Name, err)
		return rep
	}
	rel, err := destRel(res.Dest)
	if err != nil {
		return fail(err)
	}
	rep.Dest = filepath.Join(r.cfg.Root, filepath.FromSlash(rel))
	mode, err := fileMode(res.Mode)
	if err != nil {
		return fail(err)
	}
	content, err := execute(res, scope(v, prefix, res.Keys), limits{maxOutput: r.cfg.MaxFileSize, maxSteps: r.cfg.MaxSteps},
		host{env: r.env, fs: fsys})
	if err != nil {
		return fail(err)
	}

	same, err := upToDate(fsys, rel, content, mode)
	if err != nil {
		return fail(fmt.Errorf("dest %s: %w", res.Dest, err))
	}
	if same {
		if r.pendingReload[rep.Dest] {
			r.reload(ctx, res, &rep)
		}
		return rep
	}

	dir := path.Dir(rel)
	if dir != "." {
		if err := fsys.MkdirAll(dir, 0o755); err != nil {
			return fail(fmt.Errorf("dest %s: %w", res.Dest, err))
		}
	}
	staged, err := stage(fsys, rel, content, mode)
	if err != nil {
		return fail(fmt.Errorf("dest %s: stage: %w", res.Dest, err))
	}
	if res.CheckCmd != "" {
		if err := r.check(ctx, res, filepath.Join(r.cfg.Root, filepath.FromSlash(staged))); err != nil {
			_ = fsys.Remove(staged) // the staged file is ours and useless now
			return fail(err)
		}
	}
	if err := fsys.Rename(staged, rel); err != nil {
		_ = fsys.Remove(staged)
		return fail(fmt.Errorf("dest %s: %w", res.Dest, err))
	}
	if err := syncDir(fsys, dir); err != nil {
		return fail(fmt.Errorf("dest %s: sync directory: %w", res.Dest, err))
	}
	rep.Changed = true
	r.reload(ctx, res, &rep)
	return rep
}

// destRel returns dest as a local slash path under the root. Absolute
// dests are joined under the root; a dest that is not clean or climbs out
// with ".." is refused.
func destRel(dest string) (string, error) {
	rel := strings.TrimPrefix(dest, "/")
	if dest == "" || path.Clean(dest) != dest || !filepath.IsLocal(filepath.FromSlash(rel)) || strings.ContainsRune(dest, '\\') {
		return "", fmt.Errorf("%w: %q", ErrDestEscapes, dest)
	}
	return rel, nil
}

func fileMode(s string) (fs.FileMode, error) {
	if s == "" {
		return defaultMode, nil
	}
	m, err := strconv.ParseUint(s, 8, 32)
	if err != nil || m > 0o777 {
		return 0, fmt.Errorf("mode %q is not an octal permission (0000-0777)", s)
	}
	return fs.FileMode(m), nil
}

// upToDate reports whether rel already holds content with mode.
func upToDate(fsys fsys, rel string, content []byte, mode fs.FileMode) (bool, error) {
	old, err := fsys.ReadFile(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !bytes.Equal(old, content) {
		return false, nil
	}
	fi, err := fsys.Stat(rel)
	if err != nil {
		return false, err
	}
	return fi.Mode().Perm() == mode.Perm(), nil
}

// stage writes content to a new hidden file beside rel and returns its
// name.
func stage(fsys fsys, rel string, content []byte, mode fs.FileMode) (string, error) {
	name := path.Join(path.Dir(rel), "."+path.Base(rel)+".pitrix-"+rand.Text()[:12])
	f, err := fsys.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	_, err = f.Write(content)
	if err == nil {
		err = f.Chmod(mode) // by descriptor: no umask, no symlink race
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = fsys.Remove(name)
		return "", err
	}
	return name, nil
}

func syncDir(fsys fsys, dir string) error {
	d, err := fsys.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// check runs res.CheckCmd on the staged file src.
func (r *Renderer) check(ctx context.Context, res Resource, src string) error {
	t, err := template.New("check_cmd").Option("missingkey=error").Parse(res.CheckCmd)
	if err != nil {
		return fmt.Errorf("check_cmd %q: %w", res.CheckCmd, err)
	}
	var cmd strings.Builder
	if err := t.Execute(&cmd, map[string]string{"src": src}); err != nil {
		return fmt.Errorf("check_cmd %q: %w", res.CheckCmd, err)
	}
	return r.run(ctx, "check_cmd", cmd.String())
}

// reload runs res.ReloadCmd, if any, and records a failure so the next
// render retries it.
func (r *Renderer) reload(ctx context.Context, res Resource, rep *Report) {
	if res.ReloadCmd == "" {
		delete(r.pendingReload, rep.Dest)
		return
	}
	if err := r.run(ctx, "reload_cmd", res.ReloadCmd); err != nil {
		r.pendingReload[rep.Dest] = true
		rep.Err = fmt.Errorf("%s: %w", res.Name, err)
		rep.ReloadFailed, rep.FailsJob = true, res.ReloadFailsJob
		return
	}
	delete(r.pendingReload, rep.Dest)
	rep.Reloaded = true
}

func (r *Renderer) run(ctx context.Context, which, cmd string) error {
	if r.cfg.Runner == nil {
		return fmt.Errorf("%s %q: %w", which, cmd, ErrNoRunner)
	}
	res, err := r.cfg.Runner.Run(ctx, runner.Command{Cmd: cmd, Timeout: r.cfg.CommandTimeout})
	if err != nil {
		return fmt.Errorf("%s %q: %w", which, cmd, err)
	}
	if res.ExitCode != 0 {
		stderr := strings.TrimSpace(string(res.Stderr))
		if len(stderr) > 512 {
			stderr = "..." + stderr[len(stderr)-512:]
		}
		return &CommandError{Which: which, Cmd: cmd, ExitCode: res.ExitCode, Stderr: stderr}
	}
	return nil
}
