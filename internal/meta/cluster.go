package meta

import (
	"context"
	"crypto/rand"
)

// configClusterID is the config key of the cluster's ID.
const configClusterID = "cluster_id"

// ClusterID returns the ID of the cluster: the servers sharing this store
// (one on SQLite, any number on PostgreSQL). The first server to ask
// makes it up; it never changes after. Resources outside the store that
// the cluster's servers share, such as worker containers on one Docker
// engine, carry it, so that two installations never take each other's.
func (d *DB) ClusterID(ctx context.Context) (string, error) {
	var id string
	// Of two servers making one up at once, one transaction fails as a
	// conflict and runs again, and reads the other's.
	err := d.Update(ctx, func(tx *Tx) error {
		v, ok, err := tx.Config(ctx, configClusterID)
		if err != nil || ok {
			id = v
			return err
		}
		id = rand.Text()
		return tx.SetConfig(ctx, configClusterID, id)
	})
	return id, err
}
