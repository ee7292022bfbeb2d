package chunk

import (
	"bytes"
	"errors"
	"math/rand/v2"
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
		if results[i].Size != int64(len(f)) || results[i].Hash != ID(f) {
			t.Errorf("file %d: size %d hash %s, want %d %s", i, results[i].Size, results[i].Hash, len(f), ID(f))
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
		pk, err := NewPacker(DefaultParams, func(c Chunk) error {
			mu.Lock()
			defer mu.Unlock()
			out[c.ID] = true
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := pk.Add(bytes.NewReader(b), func(File) {}); err != nil {
			t.Fatal(err)
		}
		if err := pk.Close(); err != nil {
			t.Fatal(err)
		}
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
