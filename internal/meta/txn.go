package meta

import (
	"context"
	"fmt"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

// A TxnRecord is a user's pending transaction (tusk start transaction),
// not a transaction of the store: the requests recorded in it, as JSON
// the store does not read. Version counts the changes to Data, so that
// one who read a record can tell whether another changed it since.
type TxnRecord struct {
	ID      string
	Created time.Time
	Version int64
	Data    []byte
}

// InsertTxn stores a new transaction; one of that ID is tusk.ErrExists.
func (t *Tx) InsertTxn(ctx context.Context, r TxnRecord) error {
	_, err := t.exec(ctx, `INSERT INTO transactions (id, created, version, data) VALUES (?, ?, ?, ?)`,
		r.ID, nanos(r.Created), r.Version, string(r.Data))
	if isUniqueViolation(err) {
		return tusk.Errorf(tusk.KindExists, "transaction %s already exists", r.ID)
	}
	if err != nil {
		return fmt.Errorf("store transaction %s: %w", r.ID, err)
	}
	return nil
}

// Txn returns the transaction id, or a NotFound.
func (t *Tx) Txn(ctx context.Context, id string) (TxnRecord, error) {
	r := TxnRecord{ID: id}
	var created int64
	var data string
	err := t.queryRow(ctx, `SELECT created, version, data FROM transactions WHERE id = ?`, id).Scan(&created, &r.Version, &data)
	if isNoRows(err) {
		return r, notFound(NotFound{What: MissingTxn}, "transaction %s not found", id)
	}
	if err != nil {
		return r, fmt.Errorf("read transaction %s: %w", id, err)
	}
	r.Created, r.Data = fromNanos(created), []byte(data)
	return r, nil
}

// Txns returns every pending transaction, oldest first.
func (t *Tx) Txns(ctx context.Context) ([]TxnRecord, error) {
	rows, err := t.query(ctx, `SELECT id, created, version, data FROM transactions ORDER BY created, id`)
	if err != nil {
		return nil, fmt.Errorf("list transactions: %w", err)
	}
	defer rows.Close()
	var out []TxnRecord
	for rows.Next() {
		var r TxnRecord
		var created int64
		var data string
		if err := rows.Scan(&r.ID, &created, &r.Version, &data); err != nil {
			return nil, fmt.Errorf("list transactions: %w", err)
		}
		r.Created, r.Data = fromNanos(created), []byte(data)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list transactions: %w", err)
	}
	return out, nil
}

// UpdateTxn replaces the data of transaction r.ID and sets its version to
// r.Version, if its stored version is still r.Version-1: otherwise
// another changed it meanwhile, and the error is of kind conflict.
func (t *Tx) UpdateTxn(ctx context.Context, r TxnRecord) error {
	res, err := t.exec(ctx, `UPDATE transactions SET version = ?, data = ? WHERE id = ? AND version = ?`,
		r.Version, string(r.Data), r.ID, r.Version-1)
	if err != nil {
		return fmt.Errorf("update transaction %s: %w", r.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("update transaction %s: %w", r.ID, err)
	} else if n == 0 {
		if _, err := t.Txn(ctx, r.ID); err != nil {
			return err
		}
		return tusk.Errorf(tusk.KindConflict, "transaction %s was changed meanwhile", r.ID)
	}
	return nil
}

// DeleteTxn removes the transaction id, or returns a NotFound.
func (t *Tx) DeleteTxn(ctx context.Context, id string) error {
	res, err := t.exec(ctx, `DELETE FROM transactions WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete transaction %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete transaction %s: %w", id, err)
	} else if n == 0 {
		return notFound(NotFound{What: MissingTxn}, "transaction %s not found", id)
	}
	return nil
}
