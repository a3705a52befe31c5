package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// KeyFile is the key's file name in the data directory.
const KeyFile = "secret.key"

// ErrOpen is returned when a sealed value does not open (wrong key, wrong record, tampered).
var ErrOpen = errors.New("seal: cannot open sealed value")

// Sealer seals and opens secrets. It is safe for concurrent use.
type Sealer struct{ aead cipher.AEAD }

// Open loads the key from dir, creating it (32 random bytes, mode 0600) on first use.
func Open(dir string) (*Sealer, error) {
	path := filepath.Join(dir, KeyFile)
	key, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("seal: make key: %w", err)
		}
		if err := writeNew(path, key); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("seal: read key %s: %w", path, err)
	}
	return New(key)
}

// New returns a Sealer over a 32-byte key.
func New(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("seal: key is %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: gcm: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext bound to aad (e.g. the record key).
func (s *Sealer) Seal(plaintext []byte, aad string) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	_, _ = rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plaintext, []byte(aad))
}

// Unseal decrypts a value made by Seal with the same aad.
func (s *Sealer) Unseal(sealed []byte, aad string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, fmt.Errorf("%w: %d bytes is too short", ErrOpen, len(sealed))
	}
	out, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(aad))
	if err != nil {
		return nil, fmt.Errorf("%w (aad %q)", ErrOpen, aad)
	}
	return out, nil
}

func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("seal: create key %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("seal: write key %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("seal: sync key %s: %w", path, err)
	}
	return f.Close()
}
