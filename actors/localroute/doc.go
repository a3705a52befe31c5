// Package localroute runs every driver call of a local runtime on the node the runtime
// belongs to. A local runtime is one machine's processes and files (providers/local/driver,
// under that node's data dir), while the app-cluster actor that drives a job may be placed on
// any node. Router is the providers/vm Driver the VM operator calls: a call for a runtime of
// this node (or of no node) goes to this node's driver; a call for another node's runtime is
// sent to that node's local-driver actor (a plain named actor every node runs, like the
// edge relay), which runs it on its own driver and answers. When the owning node is not a
// live member (dead, or suspect), the call waits a short grace (Config.Grace) for it and then
// fails with ErrNodeDown naming the node (it wraps providers.ErrUnreachable: the job engine
// parks the job until the node is back), never a call to another node's driver. A call in flight fails the same way when the node stops being alive meanwhile.
//
// Remote messages are protobuf (protoactor's remote): a call and its reply travel as JSON in
// a wrapperspb.BytesValue.
package localroute
