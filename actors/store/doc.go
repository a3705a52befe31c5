// Package store is the durable state of Pitrix: a versioned key-value store with secondary
// indexes on pebble. It is the only package that imports pebble; everyone else sees the small
// Store interface (Reader + Writer), which is shaped so a replicated log (hashicorp/raft) can
// later be put underneath without changing callers.
//
// # Model
//
// A Record is a key, an opaque value, a version and a list of index terms. Writes happen only
// through Apply, which commits a batch of Ops atomically and returns its commit index: a
// number that grows by one per committed Apply and is never reused. The version of every key
// the batch wrote is that commit index, so a version names the exact write that produced a
// record, and LastIndex is the version of the newest one.
//
// Each Op carries a compare-and-set condition on its key's current version (Absent, Any or
// an exact version). This is the fence for actor ownership: while gossip members disagree two
// nodes may activate the same virtual actor, but both load the record at some version v and
// write with Expect v; the first write moves the record to a new version and the stale owner's
// write fails with a *ConflictError (errors.Is ErrConflict), telling that activation to stop.
//
// Index terms ("repo_id=repo-1", "status=active") are how list filters find records without a
// full scan: Lookup returns the keys carrying a term, in key order, restricted to a key prefix.
// Ids are time-ordered, so ScanOptions.Reverse lists newest first. A write replaces the key's
// terms; a delete drops them; the index changes in the same atomic batch as the record.
//
// # Durability and group commit
//
// Apply returns only after its batch is in pebble's write-ahead log and fsynced, so an
// acknowledged write survives kill -9 and power loss. One committer goroutine owned by DB
// serializes all writes: it takes every Apply queued while the previous fsync ran (bounded by
// Config.MaxGroupOps and MaxGroupBytes), checks each one's compare-and-set against pebble plus
// the earlier Applies of the same group, and writes the survivors and the new last commit
// index in one pebble batch with one fsync. Concurrent writers therefore share fsyncs instead
// of paying one each; Stats reports Applies and Commits (fsyncs). A conflicting Apply fails
// alone; the others in its group commit.
//
// Apply is the unit a replicated log will carry: a batch of ops with their conditions,
// deterministic to apply in log order on any replica, with the log index as commit index.
//
// # Reads
//
// Get, Scan and Lookup each read one consistent snapshot and may run concurrently with writes
// and each other. Records handed out are copies the caller owns.
//
// # What it does not do
//
// There are no transactions across Apply calls: read-modify-write is done optimistically,
// by reading a version and writing with Expect set to it, retrying on conflict. There is no
// TTL or expiry, no range delete, no watch or change feed, no multi-node replication yet
// (that is the replicated log's job, above pebble and below this interface), and no
// uniqueness constraint on index terms.
package store
