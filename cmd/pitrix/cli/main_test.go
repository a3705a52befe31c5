package cli

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain fails the run when goroutines started by the tests (fake servers, client
// transports) outlive them.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := waitNoLeaks(5 * time.Second); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// waitNoLeaks polls until only the main goroutine and the runtime's own remain, and on
// timeout reports the others' stacks.
func waitNoLeaks(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		left := leftGoroutines()
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("leak: %d goroutines outlived the tests:\n%s", len(left), strings.Join(left, "\n\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func leftGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var left []string
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		switch {
		case strings.Contains(g, "main.main()"), // this goroutine
			strings.Contains(g, "os/signal.signal_recv"), // started by the fuzzer
			strings.Contains(g, "runtime.goexit") && !strings.Contains(g, "created by"):
			continue
		}
		left = append(left, g)
	}
	return left
}
