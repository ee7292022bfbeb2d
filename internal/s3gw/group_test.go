package s3gw

import (
	"context"
	"testing"

	"github.com/tuskdata/tusk/internal/tusk"
)

// panicky is a file system whose first ModifyEach panics, as a bug would.
type panicky struct {
	FS
	calls int
}

func (p *panicky) ModifyEach(ctx context.Context, ref tusk.Ref, groups [][]tusk.FileOp) ([]tusk.Commit, []error, error) {
	p.calls++
	if p.calls == 1 {
		panic("a bug")
	}
	commits := make([]tusk.Commit, len(groups))
	for i := range commits {
		commits[i].ID = "c" + string(rune('0'+i))
	}
	return commits, make([]error, len(groups)), nil
}

// A group whose commit panics leaves the branch to the next writes: they
// are committed, not stuck behind it.
func TestGroupAfterAPanicGoesOn(t *testing.T) {
	g := New(&panicky{}, nil, nil, nil)
	ref := tusk.Ref{Repo: "r", Branch: "master"}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the panic of ModifyEach did not reach the request that committed")
			}
		}()
		g.commitGrouped(context.Background(), ref, nil)
	}()
	c, err := g.commitGrouped(context.Background(), ref, nil)
	if err != nil || c.ID != "c0" {
		t.Errorf("the next write: %+v, %v; want its commit", c, err)
	}
}
