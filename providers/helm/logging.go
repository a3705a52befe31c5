package helm

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"k8s.io/klog/v2"
)

// helmLog adapts Helm's printf-style debug log onto slog at Debug level.
func helmLog(l *slog.Logger) func(format string, v ...any) {
	return func(format string, v ...any) {
		if !l.Enabled(context.Background(), slog.LevelDebug) {
			return
		}
		l.Debug(strings.TrimSpace(fmt.Sprintf(format, v...)), "source", "helm")
	}
}

// warningLogger routes API server warnings (deprecated APIs, ...) onto slog.
type warningLogger struct{ l *slog.Logger }

func (w warningLogger) HandleWarningHeader(code int, agent, text string) {
	if code != 299 || text == "" {
		return
	}
	w.l.Warn("kubernetes api warning", "warning", text)
}

// routeKlog sends client-go's klog output (process-global) to l. klog's own writer goes to
// the logger too once one is set, so nothing reaches stderr.
func routeKlog(l *slog.Logger) {
	klog.SetSlogLogger(l.With("source", "client-go"))
}
