package meta

import "database/sql"

// LockLeader is the first key of the leader lock, for tests that cut the
// leader's session.
const LockLeader = lockLeader

// PoolStats are the statistics of the store's connection pool.
func (d *DB) PoolStats() sql.DBStats { return d.db.Stats() }

// Setting returns a session setting of a connection of the store's pool
// (PostgreSQL's SHOW).
func (d *DB) Setting(name string) (string, error) {
	var v string
	err := d.db.QueryRow("SHOW " + name).Scan(&v)
	return v, err
}
