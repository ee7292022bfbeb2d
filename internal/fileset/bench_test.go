package fileset

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// tree1M returns a 1M-entry tree, built once for all the benchmarks.
func tree1M(b *testing.B) (*MemStore, string) {
	t, err := buildTree1M()
	if err != nil {
		b.Fatal(err)
	}
	return t.st, t.root
}

var buildTree1M = sync.OnceValues(func() (tree struct {
	st   *MemStore
	root string
}, err error) {
	ctx := context.Background()
	tree.st = &MemStore{}
	b := NewBuilder(tree.st)
	for i := range 1_000_000 {
		if err := b.Add(ctx, testFile(seqPath(i), 0)); err != nil {
			return tree, err
		}
	}
	tree.root, err = b.Finish(ctx)
	return tree, err
})

// benchApplyOne applies one put to the 1M-entry tree per iteration. The
// puts cycle through 100 distinct trees so that the store stays bounded.
func benchApplyOne(b *testing.B, st NodeStore, counter *MemStore, root string) {
	ctx := context.Background()
	counter.ResetCounts()
	b.ResetTimer()
	for i := range b.N {
		p := seqPath((i%50)*20_000 + 7)
		if _, err := Apply(ctx, st, root, []Change{put(p, i%2+1)}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	gets, puts := counter.Counts()
	b.ReportMetric(float64(gets)/float64(b.N), "gets/op")
	b.ReportMetric(float64(puts)/float64(b.N), "puts/op")
}

func BenchmarkApplyOneChange1M(b *testing.B) {
	st, root := tree1M(b)
	benchApplyOne(b, st, st, root)
}

// BenchmarkApplyOneChange1MDisk also writes every new node to its own file
// in a temporary directory, with fsync, as a store on local disk would.
func BenchmarkApplyOneChange1MDisk(b *testing.B) {
	st, root := tree1M(b)
	benchApplyOne(b, &fsyncStore{MemStore: st, dir: b.TempDir()}, st, root)
}

// fsyncStore writes nodes to files, synced, besides keeping them in memory.
type fsyncStore struct {
	*MemStore
	dir string
}

func (s *fsyncStore) PutNode(ctx context.Context, id string, data []byte) error {
	f, err := os.CreateTemp(s.dir, "node-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), filepath.Join(s.dir, id)); err != nil {
		return err
	}
	return s.MemStore.PutNode(ctx, id, data)
}

func BenchmarkBuild100k(b *testing.B) {
	files := seqFiles(100_000)
	b.ResetTimer()
	for range b.N {
		build(b, &MemStore{}, files)
	}
}

func BenchmarkDiffOneChange1M(b *testing.B) {
	st, root := tree1M(b)
	ctx := context.Background()
	other, err := Apply(ctx, st, root, []Change{put(seqPath(500_000), 1)})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if err := Diff(ctx, st, root, other, func(*File, *File) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
