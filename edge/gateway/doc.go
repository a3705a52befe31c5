// Package gateway is the control plane's end of the edge: it holds the node's certificate
// authority (issuing certificates for Frontgates and Drones), listens for Frontgate streams
// (mutual TLS, edge/wire), keeps the live stream of each Frontgate by id, and sends Pilot
// commands (RunCommand, PutMetadata, PutBundle, RenderConfig, ...) down it. Health reports
// coming up are kept per instance. It knows only this node's streams, and tells Config.OnStream
// when one comes or goes: which node holds a Frontgate's stream is the Frontgate-session
// actor's business (actors/frontgate, fed by actors/relay), and nothing here is persisted but the
// CA.
package gateway
