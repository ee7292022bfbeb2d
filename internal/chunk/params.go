package chunk

import "fmt"

// Params are the chunking parameters of a store. They are recorded in the
// metadata store when the store is created and never change afterwards:
// other parameters would cut the same data differently and defeat dedup.
type Params struct {
	Algorithm string `json:"algorithm"`
	MinSize   int    `json:"min_size"`
	AvgSize   int    `json:"avg_size"`
	MaxSize   int    `json:"max_size"`
}

// DefaultParams are used for new stores: 1 MiB average chunks keep the
// object count low and a 1% rewrite of a large file costs about the rewrite
// plus two chunks.
var DefaultParams = Params{
	Algorithm: "fastcdc-v1.0.0",
	MinSize:   256 << 10,
	AvgSize:   1 << 20,
	MaxSize:   4 << 20,
}

// Validate reports whether p can be used.
func (p Params) Validate() error {
	if p.Algorithm != DefaultParams.Algorithm {
		return fmt.Errorf("chunking algorithm %q is not supported (want %q)", p.Algorithm, DefaultParams.Algorithm)
	}
	if p.MinSize <= 0 || p.MinSize > p.AvgSize || p.AvgSize > p.MaxSize || p.AvgSize&(p.AvgSize-1) != 0 {
		return fmt.Errorf("bad chunk sizes min=%d avg=%d max=%d: want 0 < min <= avg <= max, avg a power of two", p.MinSize, p.AvgSize, p.MaxSize)
	}
	return nil
}
