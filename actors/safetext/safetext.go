package safetext

import (
	"fmt"
	"unicode/utf8"
)

// NameProblem returns "" when s is safe as a name, or else what is wrong with it, naming the
// first bad character and its byte offset (e.g. `must not contain control or bidirectional
// formatting characters (U+202E at byte 4)`).
func NameProblem(s string) string {
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !validAt(s, i):
			return fmt.Sprintf("must be valid UTF-8 (invalid byte at %d)", i)
		case Unsafe(r):
			return fmt.Sprintf("must not contain control or bidirectional formatting characters (%U at byte %d)", r, i)
		}
	}
	return ""
}

// Unsafe reports whether r may not appear in a name.
func Unsafe(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f: // C0 (NUL, tab, newline...), DEL, C1
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069: // embeddings, overrides, isolates
		return true
	case r == 0x200e, r == 0x200f, r == 0x061c: // LRM, RLM, ALM
		return true
	}
	return false
}

// validAt reports whether the RuneError at s[i] is a real U+FFFD rather than an invalid byte.
func validAt(s string, i int) bool {
	_, size := utf8.DecodeRuneInString(s[i:])
	return size == 3
}
