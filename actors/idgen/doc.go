// Package idgen makes entity ids: a kind prefix ("repo-", "app-") and a body that sorts by
// creation time, so a reverse key scan lists newest first. It does not check uniqueness
// beyond 40 random bits per millisecond; the store's compare-and-set on Absent catches the rest.
package idgen
