package pkgcheck

import (
	"testing"

	"github.com/pitrix/pitrix/internal/testutil"
)

func TestMain(m *testing.M) { testutil.VerifyTestMain(m) }
