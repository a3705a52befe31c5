package repo

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// spool copies body to an unlinked temporary file while hashing it, closes body, and returns
// the file rewound (the caller closes it) with the hex sha256 of the bytes: the digest is
// known before anything is parsed, and memory stays bounded whatever the index's size.
func spool(body io.ReadCloser) (io.ReadCloser, string, error) {
	defer body.Close()
	f, err := os.CreateTemp("", "pitrix-index-*")
	if err != nil {
		return nil, "", fmt.Errorf("spool index: %w", err)
	}
	os.Remove(f.Name()) // unlinked: gone with the last close, whatever happens
	h := sha256.New()
	if _, err := io.CopyBuffer(io.MultiWriter(f, h), body, make([]byte, 256<<10)); err != nil {
		f.Close()
		return nil, "", err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, "", fmt.Errorf("spool index: %w", err)
	}
	return f, hex.EncodeToString(h.Sum(nil)), nil
}
