package txn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pfs"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Pipelines creates and updates pipelines within a batch, for subject
// (who recorded the request): their records within the batch's
// transaction; after, what must follow once it committed.
type Pipelines interface {
	CreatePipelineIn(ctx context.Context, b *pfs.Batch, subject string, req tusk.CreatePipelineRequest) (after func(context.Context), err error)
}

// Service records, applies and discards transactions.
type Service struct {
	db  *meta.DB
	pfs *pfs.API
	pps Pipelines
	log *slog.Logger
}

// New returns a service over the stores.
func New(db *meta.DB, files *pfs.API, pipelines Pipelines, log *slog.Logger) *Service {
	return &Service{db: db, pfs: files, pps: pipelines, log: log.WithGroup("txn")}
}

// record is what the store keeps of a transaction, as JSON.
type record struct {
	Creator  string            `json:"creator,omitempty"`
	Requests []tusk.TxnRequest `json:"requests"`
}

func infoOf(r meta.TxnRecord) (tusk.TxnInfo, error) {
	var rec record
	if err := json.Unmarshal(r.Data, &rec); err != nil {
		return tusk.TxnInfo{}, fmt.Errorf("read transaction %s: %w", r.ID, err)
	}
	return tusk.TxnInfo{ID: r.ID, Started: r.Created, Creator: rec.Creator, Requests: rec.Requests}, nil
}

// Start records a new, empty transaction of creator ("" when auth is off).
func (s *Service) Start(ctx context.Context, creator string) (tusk.TxnInfo, error) {
	info := tusk.TxnInfo{ID: pfs.NewCommitSetID(), Started: time.Now().UTC(), Creator: creator, Requests: []tusk.TxnRequest{}}
	data, err := json.Marshal(record{Creator: creator, Requests: info.Requests})
	if err != nil {
		return tusk.TxnInfo{}, err
	}
	err = s.db.Update(ctx, func(tx *meta.Tx) error {
		return tx.InsertTxn(ctx, meta.TxnRecord{ID: info.ID, Created: info.Started, Data: data})
	})
	if err != nil {
		return tusk.TxnInfo{}, fmt.Errorf("start transaction: %w", err)
	}
	return info, nil
}

// Inspect returns a transaction.
func (s *Service) Inspect(ctx context.Context, id string) (tusk.TxnInfo, error) {
	var info tusk.TxnInfo
	err := s.db.View(ctx, func(tx *meta.Tx) error {
		r, err := tx.Txn(ctx, id)
		if err != nil {
			return err
		}
		info, err = infoOf(r)
		return err
	})
	return info, err
}

// List returns every pending transaction, oldest first.
func (s *Service) List(ctx context.Context) ([]tusk.TxnInfo, error) {
	var out []tusk.TxnInfo
	err := s.db.View(ctx, func(tx *meta.Tx) error {
		out = nil
		rs, err := tx.Txns(ctx)
		if err != nil {
			return err
		}
		for _, r := range rs {
			info, err := infoOf(r)
			if err != nil {
				return err
			}
			out = append(out, info)
		}
		return nil
	})
	return out, err
}

// Delete discards a transaction and what it recorded.
func (s *Service) Delete(ctx context.Context, id string) error {
	err := s.db.Update(ctx, func(tx *meta.Tx) error { return tx.DeleteTxn(ctx, id) })
	if err != nil {
		return fmt.Errorf("delete transaction %s: %w", id, err)
	}
	return nil
}

// errDryRun rolls back the transaction of a dry run.
var errDryRun = errors.New("dry run")

// Append records req (of subject) in the transaction id, once a dry run
// of the transaction with it succeeds, and returns its response (the
// commit of a start commit). Nothing is applied.
func (s *Service) Append(ctx context.Context, id, subject string, req tusk.TxnRequest) (tusk.TxnResponse, error) {
	req.Subject = subject
	if err := check(req); err != nil {
		return tusk.TxnResponse{}, err
	}
	for attempt := 0; ; attempt++ {
		var stored meta.TxnRecord
		var rec record
		var responses []tusk.TxnResponse
		err := s.db.Update(ctx, func(tx *meta.Tx) error {
			var err error
			if stored, err = tx.Txn(ctx, id); err != nil {
				return err
			}
			if err := json.Unmarshal(stored.Data, &rec); err != nil {
				return fmt.Errorf("read transaction %s: %w", id, err)
			}
			rec.Requests = append(rec.Requests, req)
			if responses, _, err = s.run(ctx, tx, id, rec.Requests); err != nil {
				return err
			}
			return errDryRun
		})
		if !errors.Is(err, errDryRun) {
			return tusk.TxnResponse{}, fmt.Errorf("transaction %s: %w", id, err)
		}
		data, err := json.Marshal(rec)
		if err != nil {
			return tusk.TxnResponse{}, err
		}
		stored.Version++
		stored.Data = data
		err = s.db.Update(ctx, func(tx *meta.Tx) error { return tx.UpdateTxn(ctx, stored) })
		if tusk.KindOf(err) == tusk.KindConflict && attempt < 10 {
			continue // another request was recorded meanwhile: try again after it
		}
		if err != nil {
			return tusk.TxnResponse{}, fmt.Errorf("transaction %s: %w", id, err)
		}
		return responses[len(responses)-1], nil
	}
}

// Finish applies every request of the transaction id in one metadata
// transaction, and removes it. If one fails, nothing is applied and the
// transaction stays.
func (s *Service) Finish(ctx context.Context, id string) (tusk.TxnInfo, error) {
	var info tusk.TxnInfo
	var done *applied
	err := s.db.Update(ctx, func(tx *meta.Tx) error {
		r, err := tx.Txn(ctx, id)
		if err != nil {
			return err
		}
		if info, err = infoOf(r); err != nil {
			return err
		}
		if err := tx.DeleteTxn(ctx, id); err != nil {
			return err
		}
		info.Responses, done, err = s.run(ctx, tx, id, info.Requests)
		return err
	})
	if err != nil {
		return tusk.TxnInfo{}, fmt.Errorf("finish transaction %s: %w", id, err)
	}
	done.batch.Publish(ctx)
	for _, f := range done.afters {
		f(ctx)
	}
	s.log.Info("transaction finished", "id", id, "requests", len(info.Requests))
	return info, nil
}
