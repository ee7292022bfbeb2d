package meta_test

import (
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/testenv"
)

// TestPostgresConcurrentLeases leases new keys from many transactions at
// once, as an upload's senders do: at SERIALIZABLE, leases of different
// keys must not fail each other as conflicts. Reading a key before
// inserting it did (the read locks the index page that the others insert
// into): one transaction in six to one in two was retried after a wait,
// which halved an upload's throughput on PostgreSQL. The connections
// they used stay open for the next ones.
func TestPostgresConcurrentLeases(t *testing.T) {
	db := open(t, testenv.PostgresDatabase(t))
	const senders, each = 16, 16
	until := time.Now().Add(time.Hour)
	before := db.Stats()
	var wg sync.WaitGroup
	errs := make(chan error, senders*each)
	for s := range senders {
		wg.Go(func() {
			for i := range each {
				key := fmt.Sprintf("chunks/%x", sha256.Sum256(fmt.Appendf(nil, "%d/%d", s, i)))
				err := db.UpdateVolatile(t.Context(), func(tx *meta.Tx) error {
					states, err := tx.Lease(t.Context(), []string{key}, until)
					if err == nil && states[0] != meta.ObjectMissing {
						err = fmt.Errorf("state of new key %s = %d, want missing", key, states[0])
					}
					return err
				})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	after := db.Stats()
	writes, retries := after.Writes-before.Writes, after.Retries-before.Retries
	if retries*20 > writes {
		t.Errorf("%d of %d lease transactions were retries, want under one in twenty", retries, writes)
	}
	if closed := db.PoolStats().MaxIdleClosed; closed != 0 {
		t.Errorf("%d connections closed after use for want of room among the idle ones, want none", closed)
	}
}
