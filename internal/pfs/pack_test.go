package pfs

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/lru"
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
	rep, err := a.Fsck(ctx)
	if err != nil || len(rep.Damage) != 0 || rep.Packs != 1 || rep.Chunks == 0 {
		t.Fatalf("fsck of a sound store: %+v, %v; want one pack and no damage", rep, err)
	}
	pack := keysUnder(t, st, "packs/")[0]
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
		rep, err := a.Fsck(ctx)
		if err != nil || len(rep.Damage) == 0 || !strings.Contains(rep.Damage[0].Problem, tc.want) {
			t.Errorf("fsck of a pack %s: %+v, %v; want damage saying %q", tc.name, rep.Damage, err, tc.want)
		}
		st.Put(ctx, pack, whole)
	}
}

func TestPackIndexRoundTrip(t *testing.T) {
	chunks := [][2]string{
		{"chunks/aa/" + strings.Repeat("aa", 32), "first"},
		{"chunks/bb/" + strings.Repeat("bb", 32), "second, longer"},
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
	if _, err := decodePackIndex("packs/01/x", []byte{5, 1, 2}, 10); err == nil {
		t.Error("a damaged index decoded")
	}
}
