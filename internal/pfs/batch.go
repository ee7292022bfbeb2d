package pfs

import (
	"context"
	"fmt"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// A Batch makes several changes to the file system within one metadata
// transaction, as one commit set: every commit it starts or propagates
// has the batch's ID, so a branch downstream of two inputs the batch
// changes gets one commit (and a pipeline one job) that sees both.
// Hence a batch makes at most one commit in each repo. User transactions
// (package txn) apply their requests through a Batch. Nothing is
// published until the caller, once its transaction committed, calls
// Publish.
type Batch struct {
	a   *API
	tx  *meta.Tx
	id  string
	evs []tusk.CommitEvent
}

// NewCommitSetID returns a fresh ID of the form commit sets have.
func NewCommitSetID() string { return newID() }

// Batch returns a batch of changes within tx whose commit set is id.
func (a *API) Batch(tx *meta.Tx, id string) *Batch { return &Batch{a: a, tx: tx, id: id} }

// Publish announces the commits the batch started and finished. Call it
// once the transaction the batch ran in has committed.
func (b *Batch) Publish(ctx context.Context) { b.a.publish(ctx, b.evs...) }

// oneCommit refuses a second commit of the batch in project's repo.
func (b *Batch) oneCommit(ctx context.Context, project, repo string) error {
	_, err := b.tx.Commit(ctx, project, repo, b.id)
	switch {
	case err == nil:
		return tusk.Errorf(tusk.KindConflict, "repo %s already has a commit in commit set %s: a transaction makes at most one commit per repo", repo, b.id).
			WithHint("finish this transaction and make the other commit in another")
	case tusk.KindOf(err) == tusk.KindNotFound:
		return nil
	}
	return err
}

// CreateRepo creates an empty user repo.
func (b *Batch) CreateRepo(ctx context.Context, project, name, description string) (tusk.Repo, error) {
	return insertRepo(ctx, b.tx, project, name, "user", description)
}

// StartCommit is API.StartCommit within the batch: the commit's ID is the
// batch's.
func (b *Batch) StartCommit(ctx context.Context, project, repo, branch, description string) (tusk.Commit, error) {
	c, err := b.startCommit(ctx, project, repo, branch, description)
	if err != nil {
		return tusk.Commit{}, fmt.Errorf("start commit %s@%s: %w", repo, branch, err)
	}
	return c, nil
}

func (b *Batch) startCommit(ctx context.Context, project, repo, branch, description string) (tusk.Commit, error) {
	if err := tusk.ValidateBranchName(branch); err != nil {
		return tusk.Commit{}, err
	}
	if err := b.oneCommit(ctx, project, repo); err != nil {
		return tusk.Commit{}, err
	}
	c, evs, err := b.a.startCommit(ctx, b.tx, project, repo, branch, description, b.id)
	b.evs = append(b.evs, evs...)
	return c, err
}

// FinishCommit is API.FinishCommit within the batch.
func (b *Batch) FinishCommit(ctx context.Context, ref tusk.Ref, description string) (tusk.Commit, error) {
	c, evs, err := b.a.finishCommit(ctx, b.tx, ref, description, "", b.id)
	if err != nil {
		return tusk.Commit{}, fmt.Errorf("finish commit %s: %w", ref, err)
	}
	b.evs = append(b.evs, evs...)
	return c, nil
}

// CreateBranch is API.CreateBranch within the batch: the commits it makes
// or propagates have the batch's ID.
func (b *Batch) CreateBranch(ctx context.Context, project, repo, name, head string, provenance []tusk.BranchRef, trigger *tusk.Trigger) (tusk.Branch, error) {
	br, err := b.createBranch(ctx, project, repo, name, head, provenance, trigger)
	if err != nil {
		return tusk.Branch{}, fmt.Errorf("create branch %s@%s: %w", repo, name, err)
	}
	return br, nil
}

func (b *Batch) createBranch(ctx context.Context, project, repo, name, head string, provenance []tusk.BranchRef, trigger *tusk.Trigger) (tusk.Branch, error) {
	if err := tusk.ValidateBranchName(name); err != nil {
		return tusk.Branch{}, err
	}
	if head == "" {
		if _, err := b.tx.Branch(ctx, project, repo, name); tusk.KindOf(err) == tusk.KindNotFound {
			// A new branch starts at an empty commit of the batch.
			if err := b.oneCommit(ctx, project, repo); err != nil {
				return tusk.Branch{}, err
			}
		}
	}
	br, evs, err := b.a.createBranch(ctx, b.tx, project, repo, name, head, provenance, trigger, b.id)
	b.evs = append(b.evs, evs...)
	return br, err
}

// DeleteBranch is API.DeleteBranch within the batch.
func (b *Batch) DeleteBranch(ctx context.Context, project, repo, name string, force bool) error {
	if err := b.a.deleteBranch(ctx, b.tx, project, repo, name, force); err != nil {
		return fmt.Errorf("delete branch %s@%s: %w", repo, name, err)
	}
	return nil
}

// SetupOutputBranch is API.SetupOutputBranch within the batch: the commit
// it opens has the batch's ID.
func (b *Batch) SetupOutputBranch(ctx context.Context, project, repo, branch string, prov []tusk.BranchRef, trigger bool) (*tusk.Commit, error) {
	c, evs, err := b.a.setupOutputBranch(ctx, b.tx, project, repo, branch, prov, trigger, b.id)
	if err != nil {
		return nil, fmt.Errorf("set up output branch %s@%s: %w", repo, branch, err)
	}
	b.evs = append(b.evs, evs...)
	return c, nil
}

// EnsureBranch creates repo@branch, without a commit, if it is missing:
// a pipeline's input branch that a later request of the batch may start
// the first commit of.
func (b *Batch) EnsureBranch(ctx context.Context, project, repo, branch string) error {
	if err := tusk.ValidateBranchName(branch); err != nil {
		return err
	}
	if _, err := b.tx.Branch(ctx, project, repo, branch); tusk.KindOf(err) != tusk.KindNotFound {
		return err
	}
	return b.tx.PutBranch(ctx, project, repo, branch, "", now())
}

// ID is the batch's commit set.
func (b *Batch) ID() string { return b.id }

// Tx is the metadata transaction the batch runs in, for changes beyond
// the file system's (a pipeline's records) that must commit with it.
func (b *Batch) Tx() *meta.Tx { return b.tx }
