package drone_test

import (
	"os"
	"testing"

	"github.com/pitrix/pitrix/edge/edgetest"
)

// TestMain fails the package when goroutines of the agents or their sessions outlive the tests.
func TestMain(m *testing.M) { os.Exit(edgetest.Main(m)) }
