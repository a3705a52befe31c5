package runner

import (
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/pitrix/pitrix/internal/testutil"
)

// TestMain fails the run if a goroutine (a runner's, or a child process's reader) outlives
// the tests.
func TestMain(m *testing.M) { testutil.VerifyTestMain(m) }

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// newRunner opens a runner with its root and state under t.TempDir().
func newRunner(t *testing.T, edit func(*Config)) *Runner {
	t.Helper()
	dir := t.TempDir()
	cfg := Config{
		Root:       dir + "/root",
		StateDir:   dir + "/state",
		ClusterID:  "cl-1",
		Role:       "replica",
		InstanceID: "i-1",
		IP:         "127.1.0.3",
		KillGrace:  2 * time.Second,
		Logger:     testLogger(t),
	}
	if err := os.MkdirAll(cfg.Root, 0o755); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&cfg)
	}
	r, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// waitFor polls cond until it holds or fails the test after 10 s with the
// last state described by what.
func waitFor(t *testing.T, what func() string, cond func() bool) {
	t.Helper()
	testutil.Eventually(t, 10*time.Second, "condition", func() (bool, string) {
		if cond() {
			return true, ""
		}
		return false, what()
	})
}
