package pkgfile

import (
	"errors"
	"fmt"
)

// Limits bounds what Read accepts. A zero field means "use the default".
type Limits struct {
	// MaxCompressed is the most bytes read from the input (the .tgz itself).
	// Default 64 MiB.
	MaxCompressed int64
	// MaxTotal is the most bytes the gzip stream may expand to (file contents
	// plus tar headers). Default 256 MiB.
	MaxTotal int64
	// MaxFile is the largest single file. Default 32 MiB.
	MaxFile int64
	// MaxFiles is the most tar entries (directories included). Default 10000.
	MaxFiles int
	// MaxRatio is the largest allowed ratio of decompressed to compressed
	// bytes once more than RatioFloor bytes have been decompressed; it stops
	// decompression bombs early. Default 200 (gzip's best case is ~1000).
	MaxRatio int
}

// ratioFloor is how many decompressed bytes are always allowed before the
// ratio guard applies: small archives of tiny files compress very well.
const ratioFloor = 1 << 20

const (
	defaultMaxCompressed = 64 << 20
	defaultMaxTotal      = 256 << 20
	defaultMaxFile       = 32 << 20
	defaultMaxFiles      = 10000
	defaultMaxRatio      = 200
)

// DefaultLimits returns the limits Read uses for zero fields.
func DefaultLimits() Limits {
	return Limits{}.withDefaults()
}

func (l Limits) withDefaults() Limits {
	if l.MaxCompressed == 0 {
		l.MaxCompressed = defaultMaxCompressed
	}
	if l.MaxTotal == 0 {
		l.MaxTotal = defaultMaxTotal
	}
	if l.MaxFile == 0 {
		l.MaxFile = defaultMaxFile
	}
	if l.MaxFiles == 0 {
		l.MaxFiles = defaultMaxFiles
	}
	if l.MaxRatio == 0 {
		l.MaxRatio = defaultMaxRatio
	}
	return l
}

// Validate reports limits that cannot be used (negative values).
func (l Limits) Validate() error {
	var errs []error
	if l.MaxCompressed < 0 {
		errs = append(errs, fmt.Errorf("pkgfile: MaxCompressed %d is negative", l.MaxCompressed))
	}
	if l.MaxTotal < 0 {
		errs = append(errs, fmt.Errorf("pkgfile: MaxTotal %d is negative", l.MaxTotal))
	}
	if l.MaxFile < 0 {
		errs = append(errs, fmt.Errorf("pkgfile: MaxFile %d is negative", l.MaxFile))
	}
	if l.MaxFiles < 0 {
		errs = append(errs, fmt.Errorf("pkgfile: MaxFiles %d is negative", l.MaxFiles))
	}
	if l.MaxRatio < 0 {
		errs = append(errs, fmt.Errorf("pkgfile: MaxRatio %d is negative", l.MaxRatio))
	}
	return errors.Join(errs...)
}
