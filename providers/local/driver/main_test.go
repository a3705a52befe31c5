package driver

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pitrix/pitrix/edge/edgetest"
)

// binary is the pitrix executable the driver runs as Frontgates and Drones, built once.
var binary string

// TestMain builds the pitrix binary, runs the tests, and fails the package when goroutines of
// the edge (the in-process gateways) outlive them.
// PITRIX_TEST_BINARY names a prebuilt binary to use instead (when the tree does not build).
func TestMain(m *testing.M) {
	if binary = os.Getenv("PITRIX_TEST_BINARY"); binary != "" {
		os.Exit(edgetest.Main(m))
	}
	dir, err := os.MkdirTemp("", "pitrix-local-driver-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "pitrix")
	build := exec.Command("go", "build", "-o", binary, "github.com/pitrix/pitrix/cmd/pitrix")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build pitrix:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := edgetest.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}
