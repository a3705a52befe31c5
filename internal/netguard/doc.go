// Package netguard owns the one outbound network path the server uses on behalf of users:
// repo indexes and packages, icons, credential checks against a runtime's API server. Its
// Guard refuses to connect to loopback, link-local (169.254.0.0/16, the cloud metadata
// service, fe80::/10), private (10/8, 172.16/12, 192.168/16, fc00::/7, the 100.64/10 CGNAT
// block), unspecified, multicast, broadcast and other reserved addresses unless an admin
// allow-list (Config.Allow) names their range.
//
// The decision is taken at dial time, in net.Dialer.Control, on the IP actually being
// connected to, after DNS resolution: a name that resolves (or re-resolves, DNS rebinding)
// to a refused address is refused, and so is every hop of a redirect, which is also capped
// (Config.MaxRedirects). The guarded transport uses no proxy, since a proxy would connect
// to the refused address on our behalf.
//
// Main types: Guard (Check, the pure decision; DialContext and Control for dialers;
// Client and Transport for HTTP) and RefusedError, whose message names the host and the
// reason and never carries a response body. It does not limit sizes or time (callers
// do), nor decide which URLs a feature accepts.
package netguard
