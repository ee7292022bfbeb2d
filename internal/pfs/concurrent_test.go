package pfs

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// modelOp is one file operation of a random modification, and what it
// means for a model tree of path → content.
type modelOp struct {
	op, path, src, data string
	append              bool
}

type model map[string]string

// apply returns the model after ops, or an error where the server must
// refuse them too (a copy from nothing). A copy reads the branch as it
// was before the modification, as the server's does.
func (m model) apply(ops []modelOp) (model, error) {
	out := maps(m)
	for _, o := range ops {
		switch o.op {
		case tusk.OpPut:
			if o.append {
				out[o.path] += o.data
			} else {
				out[o.path] = o.data
			}
		case tusk.OpDelete:
			for p := range out {
				if o.path == "/" || p == o.path || strings.HasPrefix(p, o.path+"/") {
					delete(out, p)
				}
			}
		case tusk.OpCopy:
			n := 0
			for p, c := range m {
				switch {
				case p == o.src:
					out[o.path] = c
				case strings.HasPrefix(p, o.src+"/"):
					out[o.path+strings.TrimPrefix(p, o.src)] = c
				default:
					continue
				}
				n++
			}
			if n == 0 {
				return nil, fmt.Errorf("copy from nothing at %s", o.src)
			}
		}
	}
	return out, nil
}

func maps(m model) model {
	out := make(model, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (m model) lines() []string {
	var out []string
	for p, c := range m {
		out = append(out, p+"="+c)
	}
	slices.Sort(out)
	return out
}

// randomMod returns a modification of one to four random operations;
// every append carries a marker unique to writer w and step i.
func randomMod(rng *rand.Rand, w, i int) []modelOp {
	files := []string{"/a", "/b", "/log", "/d/x", "/d/y", "/r/1", "/r/2"}
	var ops []modelOp
	for k := range 1 + rng.IntN(4) {
		p := files[rng.IntN(len(files))]
		data := fmt.Sprintf("w%d.%d.%d;", w, i, k)
		switch n := rng.IntN(10); {
		case n < 3:
			ops = append(ops, modelOp{op: tusk.OpPut, path: p, data: data})
		case n < 6:
			ops = append(ops, modelOp{op: tusk.OpPut, path: p, data: data, append: true})
		case n == 6:
			ops = append(ops, modelOp{op: tusk.OpDelete, path: p})
		case n == 7:
			ops = append(ops, modelOp{op: tusk.OpDelete, path: []string{"/d", "/r", "/"}[rng.IntN(3)]})
		case n == 8:
			ops = append(ops, modelOp{op: tusk.OpCopy, path: "/c", src: "/a"})
		default:
			ops = append(ops, modelOp{op: tusk.OpCopy, path: "/e", src: "/d"})
		}
	}
	return ops
}

func copies(mod []modelOp) bool {
	return slices.ContainsFunc(mod, func(o modelOp) bool { return o.op == tusk.OpCopy })
}

// fileOps uploads the data of ops and returns them as API operations.
func fileOps(a *API, repo string, ops []modelOp) ([]tusk.FileOp, error) {
	out := make([]tusk.FileOp, len(ops))
	for i, o := range ops {
		switch o.op {
		case tusk.OpPut:
			up, err := tryUpload(a, [][2]string{{o.path, o.data}}, o.append)
			if err != nil {
				return nil, err
			}
			out[i] = up[0]
		case tusk.OpDelete:
			out[i] = tusk.FileOp{Op: tusk.OpDelete, Path: o.path}
		case tusk.OpCopy:
			out[i] = tusk.FileOp{Op: tusk.OpCopy, Path: o.path, Src: repo + "@master:" + o.src}
		}
	}
	return out, nil
}

// concurrentWriters runs writers against one branch through the given
// APIs (servers sharing their stores) and checks that the branch's
// history is a serial order of exactly the modifications that reported
// success: each commit's tree is its parent's with its operations
// applied. A modification may fail only with a conflict.
func concurrentWriters(t *testing.T, apis []*API, writers, steps int) {
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	a := apis[0]
	if _, err := a.CreateRepo(ctx, tusk.DefaultProject, "data", ""); err != nil {
		t.Fatal(err)
	}
	first := put(t, a, "data@master", "/a", "first;", "/d/x", "x;")
	var mu sync.Mutex
	done := map[string][]modelOp{first.ID: {{op: tusk.OpPut, path: "/a", data: "first;"}, {op: tusk.OpPut, path: "/d/x", data: "x;"}}}
	conflicts, missing := 0, 0
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			api := apis[w%len(apis)]
			for i := range steps {
				mod := randomMod(rng, w, i)
				ops, err := fileOps(api, "data", mod)
				if err != nil {
					t.Errorf("writer %d: upload: %v", w, err)
					return
				}
				c, err := api.ModifyFiles(ctx, tusk.Ref{Repo: "data", Branch: "master"}, ops)
				mu.Lock()
				switch {
				case err == nil:
					done[c.ID] = mod
				case tusk.KindOf(err) == tusk.KindConflict:
					conflicts++
				case tusk.KindOf(err) == tusk.KindNotFound && copies(mod):
					missing++ // a copy from a path that is not there
				default:
					t.Errorf("writer %d step %d: %v", w, i, err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	t.Logf("%d modifications succeeded, %d conflicted, %d copied from nothing", len(done), conflicts, missing)

	var chain []tusk.Commit
	for id := "head"; id != ""; {
		ref := tusk.Ref{Repo: "data", Branch: "master"}
		if id != "head" {
			ref = tusk.Ref{Repo: "data", ID: id}
		}
		c, err := a.InspectCommit(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		chain = append(chain, c)
		id = c.Parent
	}
	slices.Reverse(chain)
	if len(chain) != len(done) {
		t.Errorf("the branch has %d commits, %d modifications succeeded", len(chain), len(done))
	}
	m := model{}
	for _, c := range chain {
		mod, ok := done[c.ID]
		if !ok {
			t.Fatalf("commit %s is in the history but no writer was told it succeeded", c.ID)
		}
		next, err := m.apply(mod)
		if err != nil {
			t.Fatalf("commit %s: %v, yet it succeeded", c.ID, err)
		}
		m = next
		if diff := cmp.Diff(m.lines(), tree(t, a, "data@"+c.ID)); diff != "" {
			t.Fatalf("commit %s (%+v) is not its parent with its operations applied (-want +got):\n%s", c.ID, mod, diff)
		}
	}
	if rep, err := a.Fsck(ctx, false); err != nil || len(rep.Damage) != 0 {
		t.Errorf("fsck: %+v, %v", rep, err)
	}
}

func TestConcurrentWritersSerializeOnSQLite(t *testing.T) {
	st := blob.NewMemory()
	dsn := filepath.Join(t.TempDir(), "meta.db")
	concurrentWriters(t, []*API{openTestAPI(t, st, dsn), openTestAPI(t, st, dsn)}, 6, 25)
}

func TestConcurrentWritersSerializeOnPostgres(t *testing.T) {
	st := blob.NewMemory()
	dsn := testenv.PostgresDatabase(t)
	concurrentWriters(t, []*API{openTestAPI(t, st, dsn), openTestAPI(t, st, dsn)}, 6, 25)
}

// TestConcurrentWritersSerializeInBatches replays modifications applied
// in several batches, where an append may follow a batch that wrote or
// deleted its path.
func TestConcurrentWritersSerializeInBatches(t *testing.T) {
	defer func(n int) { opBatch = n }(opBatch)
	opBatch = 2
	st := blob.NewMemory()
	dsn := filepath.Join(t.TempDir(), "meta.db")
	concurrentWriters(t, []*API{openTestAPI(t, st, dsn), openTestAPI(t, st, dsn)}, 6, 25)
}

// TestConcurrentAppendsAllLand is the report that found the bug: clients
// appending lines to one file at once each exit 0, so every line must be
// in the file exactly once.
func TestConcurrentAppendsAllLand(t *testing.T) {
	ctx := context.Background()
	a := newTestAPI(t)
	if _, err := a.CreateRepo(ctx, tusk.DefaultProject, "r", ""); err != nil {
		t.Fatal(err)
	}
	const clients, appends = 8, 20
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := range appends {
				ops, err := tryUpload(a, [][2]string{{"/log", fmt.Sprintf("c%d-%d\n", c, i)}}, true)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := a.ModifyFiles(ctx, tusk.Ref{Repo: "r", Branch: "master"}, ops); err != nil {
					t.Errorf("append: %v", err)
				}
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(read(t, a, "r@master:/log"), "\n"), "\n")
	if len(lines) != clients*appends {
		t.Errorf("the log has %d lines, want %d", len(lines), clients*appends)
	}
	seen := map[string]int{}
	for _, l := range lines {
		seen[l]++
	}
	for c := range clients {
		for i := range appends {
			if n := seen[fmt.Sprintf("c%d-%d", c, i)]; n != 1 {
				t.Errorf("line c%d-%d is there %d times", c, i, n)
			}
		}
	}
}

// TestAppendAfterAPutOfTheSameContentReplaysAsAWrite checks a modification
// in batches that puts a file with the content it already had, then
// appends to it, while another writer changes the file: in the serial
// order the put came after the other write, so the file is the put and
// the append, not the other writer's content and the append.
func TestAppendAfterAPutOfTheSameContentReplaysAsAWrite(t *testing.T) {
	defer func(n int) { opBatch = n }(opBatch)
	opBatch = 1
	ctx := context.Background()
	a := newTestAPI(t)
	if _, err := a.CreateRepo(ctx, tusk.DefaultProject, "r", ""); err != nil {
		t.Fatal(err)
	}
	ref := tusk.Ref{Repo: "r", Branch: "master"}
	modify := func(path, content string, appendTo bool) {
		ops, err := tryUpload(a, [][2]string{{path, content}}, appendTo)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.ModifyFiles(ctx, ref, ops); err != nil {
			t.Fatal(err)
		}
	}
	modify("/a", "x\n", false)
	put, err := tryUpload(a, [][2]string{{"/a", "x\n"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	appended, err := tryUpload(a, [][2]string{{"/a", "y\n"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	ops := append(put, appended...)
	n := 0
	_, err = a.modifyStream(ctx, ref, func() (tusk.FileOp, bool, error) {
		if n == len(ops) {
			return tusk.FileOp{}, false, nil
		}
		if n == 1 {
			modify("/a", "z\n", false) // the other writer, between the batches
		}
		n++
		return ops[n-1], true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := read(t, a, "r@master:/a"), "x\ny\n"; got != want {
		t.Errorf("/a = %q, want %q", got, want)
	}
}
