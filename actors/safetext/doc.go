// Package safetext decides whether a name a user gives to something (a repo, app, runtime,
// credential, cluster, category, user, chart) is safe to store and to show: valid UTF-8 with
// no control characters (C0 including NUL, DEL, C1) and no bidirectional formatting characters
// (the embeddings and overrides U+202A–U+202E, the isolates U+2066–U+2069, and the marks U+200E,
// U+200F and U+061C), which make a name display as something it is not ("Trojan Source") or
// break the terminals and logs it is printed to.
//
// It does not limit length, case or character classes: each caller keeps its own rules and
// adds NameProblem to them, so every place that accepts a name refuses the same characters.
package safetext
