// Package client is a Go client of the Pitrix REST API described in API.md.
//
// It owns the wire conventions a caller would otherwise repeat: joining paths onto the server
// address, the bearer token, JSON request and response bodies, raw package uploads and
// downloads, a per-call timeout, a cap on how much of a response is read, and decoding the
// error envelope {"error": {"code", "message", "details"}} into an *APIError.
//
// The main types are Config, Client and APIError. Client.Do is the general call; Client.Raw
// and Client.Download stream bodies; ListOptions and Path build list queries and escaped
// paths. Client.OpenEvents and Client.Events follow the server-sent-events stream GET
// /v1/events with no timeout but the caller's context, and EventReader parses its framing.
//
// It deliberately does not model the API's resources: responses are decoded into whatever
// the caller passes (a map, a json.RawMessage, a small struct), so the server's Go types stay
// in the server's packages. It does not retry: most calls are mutations that are not
// idempotent, and the caller knows which ones are safe to repeat.
package client
