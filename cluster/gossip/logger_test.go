package gossip

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestParseLogLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line  string
		level slog.Level
		msg   string
	}{
		{"[DEBUG] memberlist: Stream connection from=127.0.0.1:1", slog.LevelDebug, "Stream connection from=127.0.0.1:1"},
		{"[INFO] memberlist: Suspect a has failed, no acks received", slog.LevelInfo, "Suspect a has failed, no acks received"},
		{"[WARN] memberlist: Refuting a suspect message (from: b)", slog.LevelWarn, "Refuting a suspect message (from: b)"},
		{"[ERR] memberlist: Failed to send gossip to x", slog.LevelError, "Failed to send gossip to x"},
		{"[ERROR] memberlist: boom", slog.LevelError, "boom"},
		{"[ERR] Failed to shutdown transport: x", slog.LevelError, "Failed to shutdown transport: x"},
		{"no tag at all", slog.LevelInfo, "no tag at all"},
		{"[FOO] memberlist: odd tag", slog.LevelInfo, "[FOO] memberlist: odd tag"},
		{"[unterminated", slog.LevelInfo, "[unterminated"},
		{"", slog.LevelInfo, ""},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			t.Parallel()
			level, msg := parseLogLine(tt.line)
			if level != tt.level || msg != tt.msg {
				t.Fatalf("parseLogLine(%q) = %v %q, want %v %q", tt.line, level, msg, tt.level, tt.msg)
			}
		})
	}
}

func TestLogWriter(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	var suspects []string
	w := &logWriter{
		logger:    slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})),
		onSuspect: func(n string) { suspects = append(suspects, n) },
	}
	std := newStdLogger(w)
	std.Printf("[DEBUG] memberlist: hidden at info")
	std.Printf("[WARN] memberlist: Refuting a dead message (from: x)")
	std.Printf("[INFO] memberlist: Suspect node-b has failed, no acks received")
	two := []byte("[ERR] memberlist: one\n[INFO] memberlist: two\n")
	if n, err := w.Write(two); err != nil || n != len(two) {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(two))
	}
	out := buf.String()
	for _, want := range []string{
		`level=WARN msg="Refuting a dead message (from: x)"`,
		`level=INFO msg="Suspect node-b has failed, no acks received"`,
		`level=ERROR msg=one`,
		`level=INFO msg=two`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hidden") {
		t.Errorf("debug line logged at info level:\n%s", out)
	}
	if len(suspects) != 1 || suspects[0] != "node-b" {
		t.Errorf("suspects = %q, want [node-b]", suspects)
	}
}

func TestSuspectedNode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		msg, node string
		ok        bool
	}{
		{"Suspect abc has failed, no acks received", "abc", true},
		{"Suspect  has failed, no acks received", "", false},
		{"Marking abc as failed, suspect timeout reached (0 peer confirmations)", "", false},
		{"Suspect abc", "", false},
	}
	for _, tt := range tests {
		node, ok := suspectedNode(tt.msg)
		if node != tt.node || ok != tt.ok {
			t.Errorf("suspectedNode(%q) = %q %v, want %q %v", tt.msg, node, ok, tt.node, tt.ok)
		}
	}
}

func FuzzParseLogLine(f *testing.F) {
	f.Add("[WARN] memberlist: x")
	f.Add("[")
	f.Add("[]]")
	f.Add("Suspect x has failed, no acks received")
	f.Fuzz(func(t *testing.T, line string) {
		level, msg := parseLogLine(line)
		if len(msg) > len(line) {
			t.Fatalf("message %q longer than line %q", msg, line)
		}
		if level != slog.LevelDebug && level != slog.LevelInfo && level != slog.LevelWarn && level != slog.LevelError {
			t.Fatalf("level %v", level)
		}
		if node, ok := suspectedNode(msg); ok && (node == "" || !strings.Contains(line, node)) {
			t.Fatalf("suspect %q not in %q", node, line)
		}
	})
}
