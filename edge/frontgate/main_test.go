package frontgate_test

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain fails the package when goroutines of the edge agents or their sessions outlive the
// tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := leaked(5 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "leaked goroutines:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

func leaked(within time.Duration) string {
	deadline := time.Now().Add(within)
	for {
		buf := make([]byte, 4<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var out []string
		for g := range strings.SplitSeq(string(buf), "\n\n") {
			if strings.Contains(g, "TestMain") || strings.Contains(g, "frontgate_test.leaked") {
				continue
			}
			for _, pkg := range []string{"pitrix/edge/frontgate.", "pitrix/edge/drone.", "pitrix/edge/wire.", "pitrix/edge/metadata."} {
				if strings.Contains(g, pkg) {
					out = append(out, g)
					break
				}
			}
		}
		if len(out) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return strings.Join(out, "\n\n")
		}
		time.Sleep(10 * time.Millisecond) // polling a condition with a deadline
	}
}
