package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// InitArg is the first argument of the sandbox's init process: `pitrix sandbox-init ...`.
// The binary's main calls Init when it sees it.
const InitArg = "sandbox-init"

// specEnv carries the Spec, as JSON, to the init process.
const specEnv = "PITRIX_SANDBOX_SPEC"

// SelfExe as Spec.Path runs the binary the init process was started from (the pitrix binary),
// reachable even where the base does not hold it.
const SelfExe = "/proc/self/exe"

// ErrBadSpec is wrapped by every error of Spec.Validate.
var ErrBadSpec = errors.New("sandbox: bad spec")

// Spec is one sandbox: where its layers are and what runs in it. Paths of the host are
// absolute; paths inside (Bind.Dst, Path, Dir) are absolute in the sandbox's root.
type Spec struct {
	// Base is the read-only lower layer, the root the instance starts from. Default "/".
	Base string `json:"base"`
	// Upper and Work are the overlay's writable layer and its work directory: every write of
	// the sandbox lands in Upper. Both exist and are on the same filesystem. Required.
	Upper string `json:"upper"`
	Work  string `json:"work"`
	// Merged is the overlay's mount point (an empty directory; the mount exists only in the
	// sandbox's mount namespace). Required.
	Merged string `json:"merged"`
	// Hide are paths of Base shown empty inside: a directory as an empty read-only tmpfs, a
	// file as an empty read-only file. A path Base does not hold is skipped.
	Hide []string `json:"hide,omitempty"`
	// Binds are host paths made visible inside, after Hide.
	Binds []Bind `json:"binds,omitempty"`
	// Path is the program run inside (SelfExe for this binary), with Argv (Argv[0] included)
	// and Env, in Dir (default "/").
	Path string   `json:"path"`
	Argv []string `json:"argv"`
	Env  []string `json:"env,omitempty"`
	Dir  string   `json:"dir,omitempty"`
}

// Bind makes host path Src visible at Dst inside the sandbox.
type Bind struct {
	Src      string `json:"src"`
	Dst      string `json:"dst"`
	ReadOnly bool   `json:"read_only,omitempty"`
}

func (s Spec) withDefaults() Spec {
	if s.Base == "" {
		s.Base = "/"
	}
	if s.Dir == "" {
		s.Dir = "/"
	}
	return s
}

// Validate reports every problem of s at once.
func (s Spec) Validate() error {
	s = s.withDefaults()
	var errs []error
	abs := func(what, p string, overlayOpt bool) {
		switch {
		case p == "":
			errs = append(errs, fmt.Errorf("%s is required", what))
		case !filepath.IsAbs(p) || filepath.Clean(p) != p:
			errs = append(errs, fmt.Errorf("%s %q must be an absolute, clean path", what, p))
		case overlayOpt && strings.ContainsAny(p, ",:\\"):
			errs = append(errs, fmt.Errorf("%s %q: overlayfs options cannot hold ',', ':' or '\\'", what, p))
		}
	}
	abs("Base", s.Base, true)
	abs("Upper", s.Upper, true)
	abs("Work", s.Work, true)
	abs("Merged", s.Merged, false)
	for i, h := range s.Hide {
		abs(fmt.Sprintf("Hide[%d]", i), h, false)
		if h == "/" {
			errs = append(errs, errors.New("Hide cannot hide /"))
		}
	}
	for i, b := range s.Binds {
		abs(fmt.Sprintf("Binds[%d].Src", i), b.Src, false)
		abs(fmt.Sprintf("Binds[%d].Dst", i), b.Dst, false)
		if b.Dst == "/" {
			errs = append(errs, fmt.Errorf("Binds[%d].Dst cannot be /", i))
		}
	}
	abs("Path", s.Path, false)
	abs("Dir", s.Dir, false)
	if len(s.Argv) == 0 {
		errs = append(errs, errors.New("Argv is required (Argv[0] included)"))
	}
	for _, kv := range s.Env {
		if !strings.Contains(kv, "=") {
			errs = append(errs, fmt.Errorf("Env entry %q is not K=V", kv))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrBadSpec, err)
	}
	return nil
}

// Command returns the command that starts s: binary (the pitrix executable, whose main calls
// Init) run as `binary sandbox-init label...` in new mount and PID namespaces, in its own
// session. The label only names the process (in ps and /proc/PID/cmdline); Init ignores it.
// The caller sets Stdout and Stderr (the program inherits them) and starts it.
func Command(binary string, label []string, s Spec) (*exec.Cmd, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(s.withDefaults())
	if err != nil {
		return nil, fmt.Errorf("sandbox: encode spec: %w", err)
	}
	cmd := exec.Command(binary, append([]string{InitArg}, label...)...)
	cmd.Dir = "/"
	cmd.Env = []string{specEnv + "=" + string(b)}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID}
	return cmd, nil
}
