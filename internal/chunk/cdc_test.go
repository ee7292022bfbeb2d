package chunk

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	chunkers "github.com/PlakarKorp/go-cdc-chunkers"
)

// libraryCuts returns the chunk lengths of the library's own pull-based
// chunker on data: the reference the Packer must match exactly.
func libraryCuts(t *testing.T, p Params, data []byte) []int {
	t.Helper()
	opts := &chunkers.ChunkerOpts{MinSize: p.MinSize, NormalSize: p.AvgSize, MaxSize: p.MaxSize}
	c, err := chunkers.NewChunker(p.Algorithm, bytes.NewReader(data), opts)
	if err != nil {
		t.Fatal(err)
	}
	var cuts []int
	for {
		b, err := c.Next()
		if err != nil && !errors.Is(err, io.EOF) {
			t.Fatal(err)
		}
		if len(b) > 0 {
			cuts = append(cuts, len(b))
		}
		if errors.Is(err, io.EOF) {
			return cuts
		}
	}
}

// jitterReader returns reads of random lengths, down to a single byte.
type jitterReader struct {
	r   io.Reader
	rng *rand.Rand
	max int
}

func (j jitterReader) Read(p []byte) (int, error) {
	return j.r.Read(p[:min(len(p), 1+j.rng.IntN(j.max))])
}

// packerCuts packs data split into the given file sizes and returns the
// chunk lengths, read back from the files' refs.
func packerCuts(t *testing.T, p Params, data []byte, split []int, rng *rand.Rand) []int {
	t.Helper()
	var mu sync.Mutex
	lengths := map[string]int{}
	pk, err := NewPacker(p, func(c Chunk) error {
		mu.Lock()
		defer mu.Unlock()
		lengths[c.ID] = len(c.Data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	starts := map[int64]int{}
	var off int64
	for _, n := range split {
		base := off
		r := jitterReader{bytes.NewReader(data[off : off+int64(n)]), rng, 1 + rng.IntN(3*p.MaxSize)}
		err := pk.Add(r, func(f File) {
			mu.Lock()
			defer mu.Unlock()
			pos := base
			for _, ref := range f.Refs {
				starts[pos-ref.Offset] = lengths[ref.Chunk]
				pos += ref.Length
			}
			if pos != base+f.Size {
				t.Errorf("refs of file at %d cover %d bytes, want %d", base, pos-base, f.Size)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		off += int64(n)
	}
	if err := pk.Close(); err != nil {
		t.Fatal(err)
	}
	keys := make([]int64, 0, len(starts))
	for k := range starts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	cuts := make([]int, len(keys))
	var at int64
	for i, k := range keys {
		if k != at {
			t.Fatalf("chunk %d starts at %d, want %d", i, k, at)
		}
		cuts[i] = starts[k]
		at += int64(cuts[i])
	}
	return cuts
}

// expectedCuts returns the chunk lengths that packing data as files of the
// given sizes must give: the library's cuts of each run of files smaller
// than the largest chunk, packed together, and of each larger file alone.
func expectedCuts(t *testing.T, p Params, data []byte, split []int) []int {
	t.Helper()
	var cuts []int
	off, run := 0, 0
	flush := func(end int) {
		if end > run {
			cuts = append(cuts, libraryCuts(t, p, data[run:end])...)
		}
	}
	for _, n := range split {
		if n >= p.MaxSize {
			flush(off)
			cuts = append(cuts, libraryCuts(t, p, data[off:off+n])...)
			run = off + n
		}
		off += n
	}
	flush(off)
	return cuts
}

// splitRandomly cuts n into a few file sizes, some of them empty.
func splitRandomly(rng *rand.Rand, n int) []int {
	var out []int
	for n > 0 {
		k := min(n, rng.IntN(n+1)/(1+rng.IntN(4)))
		if rng.IntN(8) == 0 {
			k = 0
		}
		out = append(out, k)
		n -= k
	}
	return append(out, 0)
}

func TestCutPointsMatchLibrary(t *testing.T) {
	small := Params{Algorithm: DefaultParams.Algorithm, MinSize: 300, AvgSize: 1024, MaxSize: 3000}
	odd := Params{Algorithm: DefaultParams.Algorithm, MinSize: 301, AvgSize: 1024, MaxSize: 3001}
	legacy := Params{Algorithm: DefaultParams.Algorithm, MinSize: 2 << 10, AvgSize: 8 << 10, MaxSize: 64 << 10}
	rng := rand.New(rand.NewPCG(7, 8))
	contents := map[string]func(n int) []byte{
		"random": func(n int) []byte { return randomBytes(rng.Uint64(), n) },
		"zeros":  func(n int) []byte { return make([]byte, n) },
		"text": func(n int) []byte {
			b := make([]byte, n)
			for i := range b {
				b[i] = "ab \n"[rng.IntN(4)]
			}
			return b
		},
		"pattern": func(n int) []byte { return bytes.Repeat([]byte("tusk chunk 0123456789"), n/21+1)[:n] },
	}
	for _, p := range []Params{DefaultParams, small, odd, legacy} {
		sizes := []int{0, 1, p.MinSize - 1, p.MinSize, p.MinSize + 1, p.AvgSize, p.MaxSize - 1, p.MaxSize,
			p.MaxSize + 1, p.MaxSize + p.MinSize, 2 * p.MaxSize, 3 * p.MaxSize, 5*p.MaxSize/2 + 17}
		if p != DefaultParams {
			sizes = append(sizes, 100*p.MaxSize+3, 16<<20+5)
		}
		for name, gen := range contents {
			for _, n := range sizes {
				data := gen(n)
				for _, split := range [][]int{{n}, splitRandomly(rng, n)} {
					want := expectedCuts(t, p, data, split)
					got := packerCuts(t, p, data, split, rng)
					if !slices.Equal(got, want) {
						t.Errorf("min %d avg %d max %d, %s data of %d bytes as files %v: cuts differ from the library's\n got %v\nwant %v",
							p.MinSize, p.AvgSize, p.MaxSize, name, n, short(split), short(got), short(want))
					}
				}
			}
		}
	}
}

func short(s []int) string {
	if len(s) > 12 {
		return fmt.Sprint(s[:12]) + fmt.Sprintf("… (%d)", len(s))
	}
	return fmt.Sprint(s)
}
