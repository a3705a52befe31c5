package identity

import (
	"testing"

	"github.com/pitrix/pitrix/internal/testutil"
)

// TestMain fails the run if a goroutine (ours or pebble's) outlives the tests.
func TestMain(m *testing.M) { testutil.VerifyTestMain(m) }
