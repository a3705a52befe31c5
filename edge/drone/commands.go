package drone

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/pitrix/pitrix/edge/drone/runner"
	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/wire"
)

// runCommand runs m with the runner (exactly once per command id) and answers its result.
func (d *Drone) runCommand(ctx context.Context, m *edgepb.RunCommand) (*edgepb.CommandResult, error) {
	if err := d.checkInstance(m.GetInstanceId()); err != nil {
		return nil, err
	}
	if m.GetCmd() == "" {
		return nil, &wire.RemoteError{Code: CodeInvalid, Message: fmt.Sprintf("drone %s: command %q is empty", d.cfg.InstanceID, m.GetCommandId())}
	}
	c := runner.Command{
		ID:      m.GetCommandId(),
		Cmd:     withWorkdir(d.cfg.Root, m.GetWorkdir(), m.GetCmd()),
		Env:     m.GetEnv(),
		Timeout: time.Duration(m.GetTimeoutSec()) * time.Second,
	}
	var res runner.Result
	var err error
	if derr := d.detached(ctx, func(ctx context.Context) { res, err = d.runner.Run(ctx, c) }); derr != nil {
		return nil, fmt.Errorf("drone %s: command %q: %w", d.cfg.InstanceID, c.ID, derr)
	}
	switch {
	case err == nil:
	case errors.Is(err, runner.ErrTimeout):
		res.Stderr = append(res.Stderr, fmt.Sprintf("\npitrix: command timed out after %s and was killed\n", res.Duration.Round(time.Millisecond))...)
	case d.runCtx.Err() != nil:
		return nil, fmt.Errorf("drone %s stopping: %w", d.cfg.InstanceID, err)
	case !res.Started.IsZero() && res.Duration > 0:
		// It ran, but its result could not be stored: report what it did.
		d.log.Warn("command ran but its result was not stored; a redelivery would run it again", "command_id", c.ID, "err", err)
	default:
		res = runner.Result{ID: c.ID, ExitCode: -1, Stderr: []byte("pitrix: " + err.Error() + "\n")}
	}
	d.log.Debug("command done", "command_id", c.ID, "exit_code", res.ExitCode, "deduplicated", res.Deduplicated, "duration", res.Duration)
	out := &edgepb.CommandResult{
		CommandId:    m.GetCommandId(),
		ExitCode:     int32(res.ExitCode),
		Stdout:       res.Stdout,
		Stderr:       res.Stderr,
		DurationMs:   res.Duration.Milliseconds(),
		Deduplicated: res.Deduplicated,
	}
	if !res.Started.IsZero() {
		out.StartedAtUnixMs = res.Started.UnixMilli()
	}
	return out, nil
}

// withWorkdir makes cmd start in workdir: an absolute one is placed under root (when root is
// set), a relative one is relative to root (the runner's working directory).
func withWorkdir(root, workdir, cmd string) string {
	if workdir == "" {
		return cmd
	}
	dir := workdir
	if filepath.IsAbs(dir) && root != "" {
		dir = filepath.Join(root, dir)
	}
	return "cd -- " + shellQuote(dir) + " || exit 125\n" + cmd
}

// shellQuote quotes s for sh as one word.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
