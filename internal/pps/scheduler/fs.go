package scheduler

import (
	"context"
	"io"
	"time"

	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// FS is what the scheduler uses of the file system (pfs.API).
type FS interface {
	// The leader's controllers follow commits: a new output commit
	// becomes a job, and a job waits for its input commits
	// (controller.go, jobrun.go, inputs.go).
	Subscribe() (<-chan tusk.CommitEvent, func())
	InspectCommit(ctx context.Context, ref tusk.Ref) (tusk.Commit, error)
	ListCommits(ctx context.Context, repo string, ref *tusk.Ref, after string, limit int) ([]tusk.Commit, error)
	InspectRepo(ctx context.Context, name string) (tusk.Repo, error)

	// Planning lists the files of input commits and what changed
	// between two (plan.go).
	InputFiles(ctx context.Context, repo, id string) ([]fileset.File, error)
	WalkFiles(ctx context.Context, ref tusk.Ref, fn func(fileset.File) error) error
	DiffFiles(ctx context.Context, newRef tusk.Ref, oldRef *tusk.Ref, fn func(tusk.FileDiff) error) error

	// StageFiles keeps the outputs workers report until their job
	// commits them (task.go), which FinishOutputCommit and
	// FinishOutputCommitFrom do (output.go); egress reads them back
	// (egress.go).
	StageFiles(ctx context.Context, ops []tusk.FileOp, ttl time.Duration) ([]fileset.File, error)
	FinishOutputCommit(ctx context.Context, repo, id string, files []fileset.File, errMsg string, also func(*meta.Tx) error) (tusk.Commit, error)
	FinishOutputCommitFrom(ctx context.Context, repo, id, base string, deletes []string, puts []fileset.File, also func(*meta.Tx) error) (tusk.Commit, error)
	Content(ctx context.Context, f fileset.File, offset int64) io.Reader

	// Cron ticks are files of the cron input's repo (cron.go).
	ListFiles(ctx context.Context, ref tusk.Ref, after string, fn func(tusk.FileInfo) error) error
	ModifyFiles(ctx context.Context, ref tusk.Ref, ops []tusk.FileOp) (tusk.Commit, error)
}
