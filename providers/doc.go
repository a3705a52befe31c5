// Package providers defines the runtime provider plug-in interface and the registry the control
// plane looks providers up in. A provider plugs a cloud or an app type into Pitrix: it validates
// a runtime's credential and zone and lists its zones, and its Operator plans each job of an app
// cluster into task layers and executes one task at a time (job.go). Plug-ins live in subpackages (local, helm, vm/...); this package imports none of
// them — cmd/ builds the registry.
package providers
