package driver

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/pitrix/pitrix/providers/vm"
)

var (
	// ErrBadConfig is wrapped by every error of Config.Validate.
	ErrBadConfig = errors.New("driver: bad config")
	// ErrBadID reports an instance id that cannot name a directory and a certificate.
	ErrBadID = errors.New("driver: bad id")
	// ErrNoVPC reports a VPC this driver did not create (or deleted).
	ErrNoVPC = errors.New("driver: no such vpc")
	// ErrWrongVPC reports an instance asked for in another VPC than its own.
	ErrWrongVPC = errors.New("driver: instance in another vpc")
	// ErrVPCInUse reports a VPC that still has instances, on DeleteVPC.
	ErrVPCInUse = errors.New("driver: vpc has instances")
	// ErrNotReady reports an agent that started but did not come up within
	// Config.ReadyTimeout (it is left running; the next call adopts it).
	ErrNotReady = errors.New("driver: agent not ready")
	// ErrNoSandbox reports that this machine cannot sandbox instances (see Probe): the driver
	// refuses to run a Drone rather than run it on the host.
	ErrNoSandbox = errors.New("driver: the local runtime cannot sandbox instances here")
)

// Driver is the local runtime's vm.Driver. It is safe for concurrent use, also with other
// Drivers (in this or other processes) on the same Dir.
type Driver struct {
	cfg  Config
	dir  string // Config.Dir, absolute, symlinks resolved (as /proc shows working directories)
	hide []string
	log  *slog.Logger

	probeMu  sync.Mutex
	probed   bool
	probeErr error
}

var _ vm.Driver = (*Driver)(nil)

// Subdirectories of Dir.
const (
	vpcsDir      = "vpcs"
	instancesDir = "instances"
	locksDir     = "locks"
	trashDir     = "trash" // removed VPCs and instances, renamed here first so removal is atomic
)

// New checks cfg and prepares its Dir. It starts nothing: processes start on EnsureVPC and
// CreateInstance, and ones left by an earlier Driver are adopted then.
func New(cfg Config) (*Driver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	bin, err := filepath.Abs(cfg.Binary)
	if err != nil {
		return nil, fmt.Errorf("%w: Binary %q: %w", ErrBadConfig, cfg.Binary, err)
	}
	cfg.Binary = bin
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("%w: Dir %q: %w", ErrBadConfig, cfg.Dir, err)
	}
	for _, sub := range []string{vpcsDir, instancesDir, locksDir, trashDir} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("driver: create %s: %w", filepath.Join(dir, sub), err)
		}
	}
	if dir, err = filepath.EvalSymlinks(dir); err != nil {
		return nil, fmt.Errorf("driver: %w", err)
	}
	return &Driver{cfg: cfg, dir: dir, hide: hidden(dir, cfg.Hide), log: cfg.Logger.With("component", "local_driver")}, nil
}

// hidePaths is what a sandbox started now hides: the fixed list and Config.HideMore's paths
// that exist on this host.
func (d *Driver) hidePaths() []string {
	if d.cfg.HideMore == nil {
		return d.hide
	}
	var more []string
	for _, p := range d.cfg.HideMore() {
		if filepath.IsAbs(p) && filepath.Clean(p) != "/" {
			if _, err := os.Stat(p); err == nil {
				more = append(more, p)
			}
		}
	}
	if len(more) == 0 {
		return d.hide
	}
	return hidden(d.dir, append(slices.Clone(d.cfg.Hide), more...))
}

// hidden is what sandboxes hide: dir and each of extra, as given and with symlinks resolved.
func hidden(dir string, extra []string) []string {
	out := []string{dir}
	for _, h := range extra {
		h = filepath.Clean(h)
		out = append(out, h)
		if r, err := filepath.EvalSymlinks(h); err == nil && r != "/" {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Dir is the driver's directory, absolute.
func (d *Driver) Dir() string { return d.dir }

// VPCID is the id of the VPC of owner's clusters on runtime rtID: "vpc-" and a short hash of
// both, stable across restarts.
func VPCID(rtID, owner string) string { return "vpc-" + idSuffix(rtID, owner) }

// FrontgateID is the id of that VPC's Frontgate: "fg-" and the same hash.
func FrontgateID(rtID, owner string) string { return "fg-" + idSuffix(rtID, owner) }

func idSuffix(rtID, owner string) string {
	h := sha256.Sum256([]byte(rtID + "\x00" + owner))
	return hex.EncodeToString(h[:6])
}

// checkID checks that id can name a directory and a certificate: [A-Za-z0-9][A-Za-z0-9._-]*,
// at most 128 bytes (the edge identities' rule).
func checkID(what, id string) error {
	ok := id != "" && len(id) <= 128
	for i := 0; ok && i < len(id); i++ {
		c := id[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		ok = alnum || i > 0 && (c == '.' || c == '_' || c == '-')
	}
	if !ok {
		return fmt.Errorf("%w: %s %q must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}", ErrBadID, what, id)
	}
	return nil
}

func (d *Driver) vpcDir(id string) string      { return filepath.Join(d.dir, vpcsDir, id) }
func (d *Driver) instanceDir(id string) string { return filepath.Join(d.dir, instancesDir, id) }

// trash moves dir out of the way (atomically) and removes it.
func (d *Driver) trash(dir string) error {
	dst := filepath.Join(d.dir, trashDir, filepath.Base(dir)+"-"+strconv.FormatInt(time.Now().UnixNano(), 36))
	if err := os.Rename(dir, dst); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	if err := syncDir(filepath.Dir(dir)); err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	if err := os.RemoveAll(dst); err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	return nil
}

// entries lists the names of the directories in Dir/sub.
func (d *Driver) entries(sub string) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(d.dir, sub))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", filepath.Join(d.dir, sub), err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out, nil
}
