package seal

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSealRoundTripAndBinding(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key mode %v, want 0600", fi.Mode().Perm())
	}
	sealed := s.Seal([]byte("kubeconfig"), "rcred/1")
	if got, err := s.Unseal(sealed, "rcred/1"); err != nil || string(got) != "kubeconfig" {
		t.Fatalf("Unseal = %q, %v", got, err)
	}
	if _, err := s.Unseal(sealed, "rcred/2"); !errors.Is(err, ErrOpen) {
		t.Fatalf("Unseal with another aad: %v, want ErrOpen", err)
	}
	// The key survives a reopen.
	s2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s2.Unseal(sealed, "rcred/1"); err != nil || string(got) != "kubeconfig" {
		t.Fatalf("after reopen Unseal = %q, %v", got, err)
	}
	if _, err := s2.Unseal([]byte("x"), "rcred/1"); !errors.Is(err, ErrOpen) {
		t.Fatalf("short value: %v", err)
	}
}
