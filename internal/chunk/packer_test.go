package chunk

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

func TestPackerRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{0, 1, 100, 5 << 20, 7, 0, 300 << 10, 3 << 20, 12}
	var files [][]byte
	for _, n := range sizes {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		files = append(files, b)
	}
	var mu sync.Mutex
	stored := map[string][]byte{}
	pk, err := NewPacker(DefaultParams, func(c Chunk) error {
		mu.Lock()
		defer mu.Unlock()
		stored[c.ID] = Encode(c.Data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	results := make([]File, len(files))
	got := 0
	for i, f := range files {
		if err := pk.Add(bytes.NewReader(f), func(r File) { results[i] = r; got++ }); err != nil {
			t.Fatal(err)
		}
	}
	if err := pk.Close(); err != nil {
		t.Fatal(err)
	}
	if got != len(files) {
		t.Fatalf("done called %d times, want %d", got, len(files))
	}
	for i, f := range files {
		var buf bytes.Buffer
		for _, r := range results[i].Refs {
			plain, err := Decode(r.Chunk, stored[r.Chunk])
			if err != nil {
				t.Fatal(err)
			}
			buf.Write(plain[r.Offset : r.Offset+r.Length])
		}
		if !bytes.Equal(buf.Bytes(), f) {
			t.Errorf("file %d (%d bytes): content differs after round trip", i, len(f))
		}
		want := ID(f)
		if len(f) >= DefaultParams.MaxSize {
			want = chunksHash(results[i].Refs)
			for _, r := range results[i].Refs {
				if r.Offset != 0 {
					t.Errorf("file %d (%d bytes) is large but shares chunk %s from offset %d", i, len(f), r.Chunk, r.Offset)
				}
			}
		}
		if results[i].Size != int64(len(f)) || results[i].Hash != want {
			t.Errorf("file %d: size %d hash %s, want %d %s", i, results[i].Size, results[i].Hash, len(f), want)
		}
	}
	if len(stored) > 12 {
		t.Errorf("%d chunks for %d MiB of data: small files are not packed", len(stored), 9)
	}
}

func TestDedupAfterLocalEdit(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	data := make([]byte, 32<<20)
	for i := range data {
		data[i] = byte(rng.UintN(256))
	}
	ids := func(b []byte) map[string]bool {
		var mu sync.Mutex
		out := map[string]bool{}
		packWith(t, func(c Chunk) error {
			mu.Lock()
			defer mu.Unlock()
			out[c.ID] = true
			return nil
		}, b)
		return out
	}
	a := ids(data)
	edited := append([]byte(nil), data...)
	copy(edited[10<<20:], bytes.Repeat([]byte("x"), 100<<10))
	b := ids(edited)
	fresh := 0
	for id := range b {
		if !a[id] {
			fresh++
		}
	}
	if fresh > 3 {
		t.Errorf("a 100 KiB edit produced %d new chunks of %d, want at most 3", fresh, len(b))
	}
}

func TestDecodeRejectsCorruption(t *testing.T) {
	plain := bytes.Repeat([]byte("tusk "), 10000)
	enc := Encode(plain)
	if enc[0] != formatZstd {
		t.Fatalf("compressible data stored with format %d", enc[0])
	}
	id := ID(plain)
	if _, err := Decode(id, enc); err != nil {
		t.Fatal(err)
	}
	for i, bad := range [][]byte{nil, {9, 1, 2}, append([]byte{formatRaw}, plain[1:]...), enc[:len(enc)/2]} {
		if _, err := Decode(id, bad); err == nil {
			t.Errorf("case %d: corrupt chunk decoded without error", i)
		}
	}
}

func TestPackerStopsAtEmitError(t *testing.T) {
	boom := errors.New("boom")
	var mu sync.Mutex
	calls := 0
	pk, err := NewPacker(DefaultParams, func(Chunk) error {
		mu.Lock()
		defer mu.Unlock()
		if calls++; calls == 2 {
			return boom
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	data := randomBytes(11, 8<<20)
	var aerr error
	for i := 0; i < 20 && aerr == nil; i++ {
		aerr = pk.Add(bytes.NewReader(data), func(File) {})
	}
	if !errors.Is(aerr, boom) {
		t.Errorf("Add: %v, want the error of emit", aerr)
	}
	if err := pk.Close(); !errors.Is(err, boom) {
		t.Errorf("Close: %v, want the error of emit", err)
	}
}

// pack returns the File of each of files packed in order.
func pack(t *testing.T, files ...[]byte) []File {
	t.Helper()
	return packWith(t, func(c Chunk) error { c.Release(); return nil }, files...)
}

// packWith packs files in order with the default parameters, calling emit
// for every chunk, and returns the File of each.
func packWith(t *testing.T, emit func(Chunk) error, files ...[]byte) []File {
	t.Helper()
	out := make([]File, len(files))
	pk, err := NewPacker(DefaultParams, emit)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range files {
		if err := pk.Add(bytes.NewReader(f), func(r File) { out[i] = r }); err != nil {
			t.Fatal(err)
		}
	}
	if err := pk.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// A large file gets the same chunks and hash wherever it is put; a file
// one byte different gets another hash; a small file's hash is that of
// its content.
func TestLargeFileHashDependsOnContentOnly(t *testing.T) {
	big := randomBytes(21, 9<<20+123)
	alone := pack(t, big)[0]
	after := pack(t, []byte("a small file first"), randomBytes(22, 3<<20), big)[2]
	if alone.Hash != after.Hash || !slices.Equal(alone.Refs, after.Refs) {
		t.Errorf("the same large file put alone and after other files: hash %s vs %s, %d vs %d refs",
			alone.Hash, after.Hash, len(alone.Refs), len(after.Refs))
	}
	other := slices.Clone(big)
	other[len(other)/2] ^= 1
	if h := pack(t, other)[0].Hash; h == alone.Hash {
		t.Error("two large files that differ in one byte have the same hash")
	}
	small := randomBytes(23, DefaultParams.MaxSize-1)
	if h := pack(t, []byte("before"), small)[1].Hash; h != ID(small) {
		t.Errorf("small file hash %s, want the hash of its content %s", h, ID(small))
	}
}
