// Package frontgate is the Frontgate agent: the edge proxy of one VPC. It keeps one mutually
// authenticated stream to the control plane (dialing out, so it works behind NAT), keeps the
// metadata and confd bundles of the VPC's app clusters on disk, and serves the VPC's Drones.
//
// # Toward the control plane
//
// Run keeps one session up with a wire.Redialer, trying Config.ControlAddrs in turn (the next
// address after each failed dial; Config.ControlFile's list instead, read again before every
// dial, when it has one: the control plane's nodes as they join). The control plane sends
// requests on it:
//
//   - PutMetadata: its json is a metadata.Cluster (encoding/json of that type, unknown fields
//     refused); it replaces the cluster's description in the metadata.Store, durably, and is
//     answered with Ack. DeleteMetadata removes it and its bundle (Ack also when absent).
//   - PutBundle: a cluster's confd files (paths relative to the package's confd/ folder),
//     checked with confd.Load and kept durably under DataDir, one file per cluster.
//   - RunCommand and RenderConfig: relayed to the Drone whose identity is instance_id and
//     answered with its reply. A Drone that is not connected is waited for (up to the
//     command's timeout, or Config.DroneWait); then the reply is an error of code
//     CodeDroneUnavailable naming the instance and this Frontgate. A Drone stream lost while
//     a request is in flight is retried on the Drone's next stream when the request is safe
//     to repeat (a RunCommand with a command id, a RenderConfig).
//   - DroneStatus: answered with the DroneList of the Drones connected now. Ping: Pong.
//
// Errors carry codes the control plane can classify: CodeInvalid (permanent: bad metadata or
// bundle), CodeConflict (an instance already in another cluster), CodeDroneUnavailable
// (transient: retry later), and the Drone's own codes passed through.
//
// # Toward the Drones
//
// Serve accepts Drones on Config.DroneListen (mutual TLS, certificate kind drone only; the
// certificate's id is the instance id). On each connect the Frontgate pushes the Drone its
// cluster's Bundle and its SelfView (requests, acknowledged by the Drone once persisted), then
// watches the store and pushes again whenever the view or the cluster's bundle changes. A
// Drone counts as connected (for relays and DroneStatus) once that first push is done, so a
// relayed request always reaches a Drone that holds the current bundle and view; RenderConfig
// pushes anything newer first. Health messages from Drones are relayed one-way to the control
// plane with the instance id taken from the Drone's certificate, and dropped while the control
// session is down. A Drone that connects again replaces its older stream.
//
// # What it does not do
//
// It does not decide what a cluster looks like (the control plane does), run commands or
// render files (Drones do), queue requests while the control plane is away (the control plane
// retries), or rotate certificates inside a session (each dial re-reads the PEM files, so a
// renewed certificate is used from the next reconnect on).
package frontgate
