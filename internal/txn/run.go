package txn

import (
	"cmp"
	"context"
	"fmt"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pfs"
	"github.com/tuskdata/tusk/internal/tusk"
)

// check refuses a request that is not exactly one operation.
func check(req tusk.TxnRequest) error {
	n := 0
	for _, set := range []bool{req.CreateRepo != nil, req.StartCommit != nil, req.FinishCommit != nil,
		req.CreateBranch != nil, req.DeleteBranch != nil, req.CreatePipeline != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return tusk.Errorf(tusk.KindInvalid, "a transaction request holds one operation, not %d", n)
	}
	return nil
}

// applied is what a run did that must be followed up once its
// transaction committed: the batch's events to publish, then afters.
type applied struct {
	batch  *pfs.Batch
	afters []func(context.Context)
}

// run applies reqs within tx, as the commit set id, and returns their
// responses.
func (s *Service) run(ctx context.Context, tx *meta.Tx, id string, reqs []tusk.TxnRequest) ([]tusk.TxnResponse, *applied, error) {
	done := &applied{batch: s.pfs.Batch(tx, id)}
	responses := make([]tusk.TxnResponse, len(reqs))
	for i, req := range reqs {
		var err error
		responses[i], err = s.apply(ctx, done, req)
		if err != nil {
			return nil, nil, fmt.Errorf("request %d of %d (%s): %w", i+1, len(reqs), req, err)
		}
	}
	return responses, done, nil
}

func (s *Service) apply(ctx context.Context, done *applied, req tusk.TxnRequest) (tusk.TxnResponse, error) {
	b := done.batch
	project := cmp.Or(req.Project, tusk.DefaultProject)
	var resp tusk.TxnResponse
	var err error
	switch {
	case req.CreateRepo != nil:
		_, err = b.CreateRepo(ctx, project, req.CreateRepo.Name, req.CreateRepo.Description)
	case req.StartCommit != nil:
		var c tusk.Commit
		c, err = b.StartCommit(ctx, project, req.StartCommit.Repo, req.StartCommit.Branch, req.StartCommit.Description)
		resp.Commit = &c
	case req.FinishCommit != nil:
		var ref tusk.Ref
		if ref, err = tusk.ParseRef(req.FinishCommit.Ref); err == nil {
			ref.Project = project
			_, err = b.FinishCommit(ctx, ref, req.FinishCommit.Description)
		}
	case req.CreateBranch != nil:
		r := req.CreateBranch
		_, err = b.CreateBranch(ctx, project, r.Repo, r.Name, r.Head, r.Provenance, r.Trigger)
	case req.DeleteBranch != nil:
		r := req.DeleteBranch
		err = b.DeleteBranch(ctx, project, r.Repo, r.Name, r.Force)
	case req.CreatePipeline != nil:
		var after func(context.Context)
		after, err = s.pps.CreatePipelineIn(ctx, b, req.Subject, *req.CreatePipeline)
		done.afters = append(done.afters, after)
	default:
		err = check(req)
	}
	return resp, err
}
