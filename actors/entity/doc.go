// Package entity stores domain records as JSON in the store: a typed Get that returns the
// record's version (the compare-and-set fence for the next write), the Op that writes it back,
// and a filtered, paged List over a key prefix or an index term. It owns no schema: each domain
// package names its keys and terms. It does not cache.
package entity
