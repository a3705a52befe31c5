// Package providers defines the runtime provider plug-in interface and the registry the control
// plane looks providers up in. A provider plugs a cloud or an app type into Pitrix: it validates
// a runtime's credential and zone and lists its zones; later issues add planning and executing
// job tasks. Plug-ins live in subpackages (local, helm, vm/...); this package imports none of
// them — cmd/ builds the registry.
package providers
