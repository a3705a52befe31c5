package edgetest

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/pitrix/pitrix/internal/testutil"
)

// Main runs the tests and fails the package when goroutines (the agents', their sessions', the
// gateways') are still running after them; see testutil.Main for the grace period. opts adds
// goleak ignores for goroutines a package knows are not its to stop. Call it from TestMain:
// os.Exit(edgetest.Main(m)).
func Main(m *testing.M, opts ...goleak.Option) int {
	return testutil.Main(m, opts...)
}
