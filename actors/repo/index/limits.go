package index

import "fmt"

// Default limits used for zero fields of Limits.
const (
	DefaultMaxBytes      = 256 << 20
	DefaultMaxEntryBytes = 16 << 20
	DefaultMaxVersions   = 500_000
)

// Limits bounds what Read accepts. A zero field means its default.
type Limits struct {
	// MaxBytes is the most bytes of the whole index read; more fails with ErrTooLarge.
	// It also bounds memory when a non-block (JSON or flow) index is decoded whole.
	// Default 256 MiB.
	MaxBytes int64
	// MaxEntryBytes is the most bytes of one chart's block under entries, of one other
	// top-level key's block, of the text before entries, and of any single line. Memory held
	// at once is about this many bytes plus the decoded tree of one piece. Default 16 MiB.
	MaxEntryBytes int
	// MaxVersions is the most chart versions accepted over the whole index. Default 500,000.
	MaxVersions int
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes == 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxEntryBytes == 0 {
		l.MaxEntryBytes = DefaultMaxEntryBytes
	}
	if l.MaxVersions == 0 {
		l.MaxVersions = DefaultMaxVersions
	}
	return l
}

// Validate reports a negative limit.
func (l Limits) Validate() error {
	switch {
	case l.MaxBytes < 0:
		return fmt.Errorf("index: limits: max bytes %d is negative", l.MaxBytes)
	case l.MaxEntryBytes < 0:
		return fmt.Errorf("index: limits: max entry bytes %d is negative", l.MaxEntryBytes)
	case l.MaxVersions < 0:
		return fmt.Errorf("index: limits: max versions %d is negative", l.MaxVersions)
	}
	return nil
}
