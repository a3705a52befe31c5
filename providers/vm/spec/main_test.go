package spec

import (
	"testing"

	"github.com/pitrix/pitrix/internal/testutil"
)

// TestMain fails the run if a goroutine outlives the tests. regexp2's match-timeout clock is
// the one a pattern starts; it stops by itself once no match can still time out.
func TestMain(m *testing.M) { testutil.VerifyTestMain(m) }
