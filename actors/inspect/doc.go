// Package inspect holds the admin inspector's views of the control plane — its members and its
// live actor activations — as the REST contract shows them. It has no behaviour; actors/control
// fills them from cluster/node.
package inspect
