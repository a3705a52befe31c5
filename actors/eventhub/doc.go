// Package eventhub fans out app-cluster, job and task changes to the subscribers of GET
// /v1/events on this node. Publishing never blocks: a subscriber that falls a whole buffer
// behind is dropped (its channel closed) and reconnects. It keeps no history and does not
// cross nodes yet (a node publishes what its actors change).
package eventhub
