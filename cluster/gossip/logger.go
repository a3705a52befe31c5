package gossip

import (
	"bytes"
	"log"
	"log/slog"
	"strings"
)

// logWriter adapts memberlist's *log.Logger output onto slog. memberlist
// writes lines such as "[WARN] memberlist: Refuting a suspect message"; the
// level tag becomes the slog level and the "memberlist: " prefix is dropped.
//
// It also watches for memberlist's own suspicion notice, the only place the
// library reports that a member turned suspect (its public API exposes no
// per-member state), and passes the node name to onSuspect.
type logWriter struct {
	logger    *slog.Logger
	onSuspect func(node string)
}

// newStdLogger returns a *log.Logger for memberlist.Config.Logger.
func newStdLogger(w *logWriter) *log.Logger {
	return log.New(w, "", 0)
}

// Write logs each line of p. It never fails: losing a log line must not
// break memberlist.
func (w *logWriter) Write(p []byte) (int, error) {
	for line := range bytes.SplitSeq(p, []byte{'\n'}) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		level, msg := parseLogLine(string(line))
		w.log(level, msg)
		if w.onSuspect != nil {
			if node, ok := suspectedNode(msg); ok {
				w.onSuspect(node)
			}
		}
	}
	return len(p), nil
}

func (w *logWriter) log(level slog.Level, msg string) {
	switch {
	case level < slog.LevelInfo:
		w.logger.Debug(msg)
	case level < slog.LevelWarn:
		w.logger.Info(msg)
	case level < slog.LevelError:
		w.logger.Warn(msg)
	default:
		w.logger.Error(msg)
	}
}

// parseLogLine splits a memberlist log line into a level and a message. A
// line without a known "[LEVEL]" tag is logged at Info, whole.
func parseLogLine(line string) (slog.Level, string) {
	line = strings.TrimSpace(line)
	level := slog.LevelInfo
	if rest, ok := strings.CutPrefix(line, "["); ok {
		if tag, msg, ok := strings.Cut(rest, "]"); ok {
			if l, known := levelOf(tag); known {
				level, line = l, strings.TrimSpace(msg)
			}
		}
	}
	line = strings.TrimPrefix(line, "memberlist: ")
	return level, line
}

func levelOf(tag string) (slog.Level, bool) {
	switch strings.ToUpper(tag) {
	case "TRACE", "DEBUG":
		return slog.LevelDebug, true
	case "INFO":
		return slog.LevelInfo, true
	case "WARN", "WARNING":
		return slog.LevelWarn, true
	case "ERR", "ERROR":
		return slog.LevelError, true
	}
	return 0, false
}

// suspectedNode recognises memberlist v0.7.0's "Suspect <node> has failed,
// no acks received" notice (state.go, probeNode).
func suspectedNode(msg string) (string, bool) {
	rest, ok := strings.CutPrefix(msg, "Suspect ")
	if !ok {
		return "", false
	}
	node, _, ok := strings.Cut(rest, " has failed, no acks received")
	if !ok || node == "" {
		return "", false
	}
	return node, true
}
