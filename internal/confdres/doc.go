// Package confdres is the confd template resource format (a package's confd/conf.d/*.toml) as
// both the control plane, which checks packages (providers/vm/spec), and the Drone, which
// renders them (edge/drone/confd), read it. It sits below both so neither imports the other.
// TOML is read with github.com/BurntSushi/toml, as confd itself does.
package confdres
