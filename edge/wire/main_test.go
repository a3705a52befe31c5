package wire

import (
	"testing"

	"github.com/pitrix/pitrix/internal/testutil"
)

// TestMain fails the package when goroutines (session loops, handlers, Serve, Redialer)
// outlive the tests.
func TestMain(m *testing.M) { testutil.VerifyTestMain(m) }
