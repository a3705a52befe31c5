package testutil

import (
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestLeakCheckIgnoreFiles checks that a goroutine is left out by the file it runs, and
// reported without that.
func TestLeakCheckIgnoreFiles(t *testing.T) {
	before := goleak.IgnoreCurrent()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-stop
	}()
	defer func() {
		close(stop)
		<-done
	}()
	time.Sleep(10 * time.Millisecond) // let the goroutine block in its receive

	if err := (LeakCheck{Ignore: []goleak.Option{before}}).find(); err == nil || !strings.Contains(err.Error(), "TestLeakCheckIgnoreFiles") {
		t.Fatalf("find = %v, want the test's goroutine reported", err)
	}
	c := LeakCheck{Ignore: []goleak.Option{before}, IgnoreFiles: []string{"internal/testutil/leak_test.go"}}
	if err := c.find(); err != nil {
		t.Fatalf("find with the file ignored = %v", err)
	}
}
