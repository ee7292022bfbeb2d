package pfs

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/lru"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// fsck finds a pack that is gone, cut short, or whose chunks are not
// where the metadata store says.
func TestFsckChecksPacks(t *testing.T) {
	ctx := context.Background()
	st := blob.NewMemory()
	a := openTestAPI(t, st, filepath.Join(t.TempDir(), "meta.db"))
	a.CreateRepo(ctx, tusk.DefaultProject, "data", "")
	put(t, a, "data@master", "/a", "packed content", "/b", "more packed content")
	rep, err := a.Fsck(ctx, false)
	if err != nil || len(rep.Damage) != 0 || rep.Packs != 2 || rep.Chunks == 0 {
		t.Fatalf("fsck of a sound store: %+v, %v; want two packs (chunks, then tree nodes) and no damage", rep, err)
	}
	pack := chunkPacks(t, a, st)[0]
	whole, err := st.Get(ctx, pack)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		damage func()
		want   string
	}{
		{"flipped byte", func() {
			bad := append([]byte{}, whole...)
			bad[3] ^= 0xff
			st.Put(ctx, pack, bad)
		}, "chunk"},
		{"cut short", func() { st.Put(ctx, pack, whole[:len(whole)-5]) }, "bytes; it was written with"},
		{"index moved", func() {
			// The same size, but its index names other chunks.
			bad := append([]byte{}, whole...)
			i := strings.LastIndex(string(bad), packMagic) - 10
			bad[i] ^= 0xff
			st.Put(ctx, pack, bad)
		}, "pack"},
		{"gone", func() { st.Delete(ctx, pack) }, "not found"},
	} {
		tc.damage()
		a.chunks = lru.New[string, []byte](chunkCacheBytes)
		rep, err := a.Fsck(ctx, false)
		if err != nil || len(rep.Damage) == 0 || !strings.Contains(rep.Damage[0].Problem, tc.want) {
			t.Errorf("fsck of a pack %s: %+v, %v; want damage saying %q", tc.name, rep.Damage, err, tc.want)
		}
		st.Put(ctx, pack, whole)
	}
}

func TestPackIndexRoundTrip(t *testing.T) {
	chunks := [][2]string{
		{"chunks/aa/" + strings.Repeat("aa", 32), "first"},
		{"nodes/bb/" + strings.Repeat("bb", 32), "second, longer"},
		{"chunks/cc/" + strings.Repeat("cc", 32), ""},
	}
	p := &packBuilder{}
	for _, c := range chunks {
		p.add(c[0], []byte(c[1]))
	}
	data, entries := p.finish("packs/01/x")
	if int64(len(data)) != packSize([]int64{5, 14, 0}) || len(data) != p.size() {
		t.Errorf("pack of %d bytes; packSize says %d, the builder %d", len(data), packSize([]int64{5, 14, 0}), p.size())
	}
	if again, _ := p.finish("packs/01/y"); string(again) != string(data) {
		t.Error("a pack finished twice differs")
	}
	st := blob.NewMemory()
	if err := st.Put(context.Background(), "packs/01/x", data); err != nil {
		t.Fatal(err)
	}
	a := &API{objects: st}
	got, err := a.readPackIndex(context.Background(), "packs/01/x")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(entries) {
		t.Fatalf("index of %d entries, want %d", len(got), len(entries))
	}
	for i := range got {
		if got[i] != entries[i] || string(data[got[i].Offset:got[i].Offset+got[i].Length]) != chunks[i][1] {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], entries[i])
		}
	}
	if _, err := decodePackIndex("packs/01/x", []byte{5, 1, 2}, 10, true); err == nil {
		t.Error("a damaged index decoded")
	}
	// A pack of format 4 has no kinds in its index: every object is a chunk.
	old := append([]byte{1}, make([]byte, 32)...)
	old = append(old, 7)
	got, err = decodePackIndex("packs/01/y", old, 7, false)
	if err != nil || len(got) != 1 || got[0].Chunk != "chunks/00/"+strings.Repeat("00", 32) || got[0].Length != 7 {
		t.Errorf("index of a format 4 pack decodes as %+v, %v", got, err)
	}
}

// A metadata store that lost track of a pack (restored from a backup
// older than the objects) finds its chunks missing; fsck --fix records
// the pack again from its own index, and the files read back. A chunk
// stored nowhere stays damage, unmended.
func TestFsckFixRecordsPacksFoundInTheStore(t *testing.T) {
	ctx := context.Background()
	st := blob.NewMemory()
	a := openTestAPI(t, st, filepath.Join(t.TempDir(), "meta.db"))
	a.CreateRepo(ctx, tusk.DefaultProject, "data", "")
	put(t, a, "data@master", "/a", "packed content", "/b", "more packed content")
	pack := chunkPacks(t, a, st)[0]
	entries, err := a.readPackIndex(ctx, pack)
	if err != nil {
		t.Fatal(err)
	}
	err = a.db.Update(ctx, func(tx *meta.Tx) error {
		for _, e := range entries {
			if err := tx.ForgetObject(ctx, e.Chunk); err != nil {
				return err
			}
		}
		return tx.ForgetObject(ctx, pack)
	})
	if err != nil {
		t.Fatal(err)
	}
	a.chunks = lru.New[string, []byte](chunkCacheBytes)
	rep, err := a.Fsck(ctx, false)
	if err != nil || len(rep.Damage) != 2 || rep.Damage[0].Fixed != "" {
		t.Fatalf("fsck of a store that lost a pack's record: %+v, %v; want 2 problems, unmended", rep.Damage, err)
	}
	rep, err = a.Fsck(ctx, true)
	if err != nil || len(rep.Damage) != 2 || rep.Damage[0].Fixed == "" || rep.Damage[1].Fixed == "" {
		t.Fatalf("fsck --fix: %+v, %v; want both problems mended", rep.Damage, err)
	}
	if rep, err := a.Fsck(ctx, false); err != nil || len(rep.Damage) != 0 {
		t.Errorf("fsck after --fix: %+v, %v; want no damage", rep.Damage, err)
	}
	if got := read(t, a, "data@master:/b"); got != "more packed content" {
		t.Errorf("/b after fsck --fix reads %q", got)
	}

	put(t, a, "data@master", "/c", "lost for good")
	for _, p := range chunkPacks(t, a, st) {
		if p != pack {
			st.Delete(ctx, p)
		}
	}
	a.chunks = lru.New[string, []byte](chunkCacheBytes)
	rep, err = a.Fsck(ctx, true)
	if err != nil || len(rep.Damage) == 0 || rep.Damage[len(rep.Damage)-1].Fixed != "" {
		t.Errorf("fsck --fix of a chunk stored nowhere: %+v, %v; want it named, unmended", rep.Damage, err)
	}
}
