// Package wire is the transport of the edge: framing, sessions and the mutual-TLS handshake
// that carry edgepb messages between control-plane nodes, Frontgates and Drones.
//
// A Frontgate sits behind NAT and can only dial out, so it keeps one long-lived stream to a
// control-plane node (Dial, kept up by a Redialer) and both sides then talk over it as peers:
// either may send requests and get replies, or send one-way messages. Drones reach their
// Frontgate the same way. Serve is the accepting side.
//
// # Frames
//
// A frame is a 4-byte big-endian length and that many bytes of a marshaled edgepb.Envelope.
// The envelope names its payload by full protobuf name; only edgepb's messages and the
// protobuf well-known types are decoded, through protoregistry.GlobalTypes. A request has an
// id, its reply carries reply_to = id; a one-way message has neither. Everything read is
// treated as hostile: a frame over Config.MaxFrame, bytes that are not an Envelope, or an
// Envelope that breaks these rules close the session with an error naming the peer; an
// unknown or undecodable payload type in a request gets an error reply (CodeUnknownType,
// CodeBadPayload) and the session carries on.
//
// # Sessions
//
// A Session owns its connection and goroutines: one reader, one writer (the only one writing
// the connection, fed by a bounded queue; callers wait for room within their ctx), a pinger,
// a dispatcher for one-way messages (delivered in order, one at a time) and a goroutine per
// incoming request (at most Config.MaxConcurrent at once). The reader never waits on the
// writer, so two peers writing to each other cannot deadlock through it. Each side also keeps
// at most MaxConcurrent of its own requests in flight, so a peer with the same setting never
// makes our reader wait for a handler slot. Liveness: any frame received proves the peer
// alive; an idle session pings, and one that hears nothing for PingTimeout ends with
// ErrPeerSilent. When a session ends, every pending Request fails at once with the session's
// error (a *SessionError naming the peer), handlers' ctx is cancelled, and Close returns once
// all goroutines have.
//
// # Handshake
//
// Dial and Serve run TLS 1.3 with client certificates (tls configs from edge/pki), check the
// peer certificate's kind against Config.PeerKinds, then exchange Hellos: the dialer's Hello is
// the first request on the stream and must claim the identity its certificate proves
// (pitrix://role/id) and our protocol version; Serve's AcceptFunc may still refuse it, and the
// dialer then sees a *RemoteError with CodeRejected. The accepting side answers with its own
// Hello.
//
// # What it does not do
//
// There is no request cancellation on the wire (a handler runs on after its caller gives up,
// until the session ends), no ordering between requests, no retry or redelivery (a Request
// that fails may or may not have run: make commands idempotent, as RunCommand's command id
// does), no compression, no certificate rotation inside a session, and no routing: who holds
// which stream is the Frontgate-session actor's business.
package wire
