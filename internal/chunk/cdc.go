package chunk

import (
	"math/bits"

	"github.com/PlakarKorp/go-cdc-chunkers/chunkers/fastcdc"
)

// cutter finds chunk boundaries the way fastcdc-v1.0.0 of
// go-cdc-chunkers does, but called on a buffer instead of pulling from a
// reader. The library only exposes its cut function through the pulling
// Chunker, so this is the same function over the library's gear table,
// with the library's masks. The boundaries are part of the store format:
// TestCutPointsMatchLibrary holds them to the library's own.
type cutter struct {
	min, normal, max int
	maskS, maskL     uint64
}

func newCutter(p Params) cutter {
	c := cutter{min: p.MinSize, normal: p.AvgSize, max: p.MaxSize}
	if p.MinSize == 2<<10 && p.AvgSize == 8<<10 && p.MaxSize == 64<<10 {
		// The library keeps the masks of its first release for these sizes.
		c.maskS, c.maskL = 0x0003590703530000, 0x0000d90003530000
		return c
	}
	const normalLevel = 2
	b := bits.TrailingZeros(uint(p.AvgSize))
	c.maskS = spacedMask(b + normalLevel)
	c.maskL = spacedMask(b - normalLevel)
	return c
}

// spacedMask spreads ones evenly over a 64-bit word, from the top bit down.
func spacedMask(ones int) uint64 {
	if ones >= 64 {
		return ^uint64(0)
	}
	if ones <= 0 {
		return 0
	}
	step := 64 / ones
	var m uint64
	for i := range ones {
		m |= 1 << (63 - i*step)
	}
	return m
}

// cut returns the length of the chunk starting at data[0]. data must hold
// MaxSize bytes or, at the end of the stream, everything that is left.
func (c *cutter) cut(data []byte) int {
	n, normal := len(data), c.normal
	switch {
	case n <= c.min:
		return n
	case n >= c.max:
		n = c.max
	case n <= normal:
		normal = n
	}
	i, fp := scan(data[c.min:normal], 0, c.maskS)
	if i >= 0 {
		return c.min + i
	}
	if i, _ = scan(data[normal:n], fp, c.maskL); i >= 0 {
		return normal + i
	}
	return n
}

// scan rolls the gear hash fp over d and returns the index of the first
// byte after which fp&mask is zero (or -1) and the hash at the end of d.
// It takes four bytes a step with one bounds check. The hashes after the
// second and the fourth byte are each the hash two bytes before shifted
// by two plus a term of the two bytes alone, so the chain of dependent
// operations that bounds this loop is one shift and add per two bytes
// instead of per byte; the hashes after the first and third byte come
// off that chain.
func scan(d []byte, fp, mask uint64) (int, uint64) {
	g := &fastcdc.G
	i := 0
	for ; i+4 <= len(d); i += 4 {
		b := d[i : i+4 : i+4]
		g0, g2 := g[b[0]], g[b[2]]
		f0 := fp<<1 + g0
		f1 := fp<<2 + (g0<<1 + g[b[1]])
		f2 := f1<<1 + g2
		f3 := f1<<2 + (g2<<1 + g[b[3]])
		if f0&mask == 0 {
			return i, f0
		}
		if f1&mask == 0 {
			return i + 1, f1
		}
		if f2&mask == 0 {
			return i + 2, f2
		}
		if f3&mask == 0 {
			return i + 3, f3
		}
		fp = f3
	}
	for ; i < len(d); i++ {
		fp = fp<<1 + g[d[i]]
		if fp&mask == 0 {
			return i, fp
		}
	}
	return -1, fp
}
