package index

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrBadURL: a package url in the index cannot be used.
var ErrBadURL = errors.New("index: bad package url")

// ResolveURL returns the package url u of an index entry as an absolute URL. base is the
// repo's URL — the folder holding index.yaml, with or without a trailing slash, not the
// index.yaml file itself. An absolute u is returned unchanged; a relative one is resolved
// under base, keeping base's query (as Helm does, for signed URLs). ResolveURL does not
// decide which schemes may be fetched: package source does.
func ResolveURL(base *url.URL, u string) (string, error) {
	if strings.TrimSpace(u) == "" {
		return "", fmt.Errorf("%w: empty url", ErrBadURL)
	}
	ref, err := url.Parse(u)
	if err != nil {
		return "", fmt.Errorf("%w: parse %s: %w", ErrBadURL, quote(u), err)
	}
	if ref.IsAbs() {
		return u, nil
	}
	if base == nil || !base.IsAbs() {
		return "", fmt.Errorf("%w: relative url %s needs an absolute repo url", ErrBadURL, quote(u))
	}
	b := *base
	b.Path = strings.TrimSuffix(b.Path, "/") + "/"
	if b.RawPath != "" {
		b.RawPath = strings.TrimSuffix(b.RawPath, "/") + "/"
	}
	b.Fragment, b.RawFragment = "", ""
	res := b.ResolveReference(ref)
	if ref.RawQuery == "" {
		res.RawQuery = base.RawQuery
	}
	return res.String(), nil
}
