// Package readme renders a package's README (markdown, the uploader's bytes) to HTML that is
// safe to insert into the dashboard: goldmark (GitHub-flavoured tables, strikethrough, autolinks)
// renders it and bluemonday's user-content policy removes scripts, event handlers, styles and
// unsafe URLs. Links get rel="nofollow" and absolute ones open in a new tab. Images stay, but
// the dashboard's Content-Security-Policy never lets a remote one load.
package readme
