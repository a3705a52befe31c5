package cli

import (
	"testing"

	"github.com/pitrix/pitrix/internal/testutil"
)

// TestMain fails the run when goroutines started by the tests (fake servers, client
// transports) outlive them.
func TestMain(m *testing.M) { testutil.VerifyTestMain(m) }
