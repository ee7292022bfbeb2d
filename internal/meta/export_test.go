package meta

import "database/sql"

// LockLeader is the first key of the leader lock, for tests that cut the
// leader's session.
const LockLeader = lockLeader

// PoolStats are the statistics of the store's connection pool.
func (d *DB) PoolStats() sql.DBStats { return d.db.Stats() }
