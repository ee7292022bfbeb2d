package chunk

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/tuskdata/tusk/internal/testenv"
)

// randomBytes returns n seeded pseudo-random bytes.
func randomBytes(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n &^ 7; i < n; i++ {
		b[i] = byte(rng.Uint64())
	}
	return b
}

func benchmarkPack(b *testing.B, files [][]byte) {
	var total int64
	for _, f := range files {
		total += int64(len(f))
	}
	b.SetBytes(total)
	b.ReportAllocs()
	cpu := testenv.CPUTime(b)
	for b.Loop() {
		pk, err := NewPacker(DefaultParams, func(c Chunk) error { c.Release(); return nil })
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range files {
			if err := pk.Add(bytes.NewReader(f), func(File) {}); err != nil {
				b.Fatal(err)
			}
		}
		if err := pk.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(testenv.CPUTime(b)-cpu)/float64(b.N), "cpu-ns/op")
}

// BenchmarkPackLarge packs one 256 MiB file of random data: chunk and
// file hashes and the cut points.
func BenchmarkPackLarge(b *testing.B) {
	benchmarkPack(b, [][]byte{randomBytes(1, 256<<20)})
}

// BenchmarkPackSmall packs 20k files of 1–10 KB: the per-file cost.
func BenchmarkPackSmall(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	files := make([][]byte, 20000)
	for i := range files {
		files[i] = randomBytes(uint64(i), 1000+rng.IntN(9001))
	}
	benchmarkPack(b, files)
	b.ReportMetric(float64(len(files))*float64(b.N)/b.Elapsed().Seconds(), "files/s")
}

func BenchmarkCut(b *testing.B) {
	data := randomBytes(9, 64<<20)
	c := newCutter(DefaultParams)
	b.SetBytes(int64(len(data)))
	cpu := testenv.CPUTime(b)
	for b.Loop() {
		for off := 0; off < len(data); {
			off += c.cut(data[off:])
		}
	}
	b.ReportMetric(float64(testenv.CPUTime(b)-cpu)/float64(b.N), "cpu-ns/op")
}
