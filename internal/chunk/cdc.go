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
// It takes two bytes a step: the hash after both is fp<<2 plus a term of
// the two bytes alone, so the chain of dependent operations that bounds
// this loop is one shift and add per two bytes instead of per byte.
func scan(d []byte, fp, mask uint64) (int, uint64) {
	g := &fastcdc.G
	i := 0
	for ; i+1 < len(d); i += 2 {
		g0 := g[d[i]]
		f0 := fp<<1 + g0
		fp = fp<<2 + (g0<<1 + g[d[i+1]])
		if f0&mask == 0 {
			return i, f0
		}
		if fp&mask == 0 {
			return i + 1, fp
		}
	}
	if i < len(d) {
		fp = fp<<1 + g[d[i]]
		if fp&mask == 0 {
			return i, fp
		}
	}
	return -1, fp
}
