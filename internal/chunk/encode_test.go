package chunk

import "testing"

// TestIDIsBLAKE3 pins chunk IDs to BLAKE3-256 (docs/format.md), across the
// sizes where an implementation switches between its one-block, one-chunk
// and SIMD tree paths. The input is the BLAKE3 test vectors' pattern, byte
// i = i mod 251; the sums are the reference vectors where they exist and
// otherwise agree with a second implementation.
func TestIDIsBLAKE3(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{
		{0, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"},
		{3, "e1be4d7a8ab5560aa4199eea339849ba8e293d55ca0a81006726d184519e647f"},
		{1024, "42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7"},
		{1025, "d00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444"},
		{16<<10 + 1, "1dabe216be2578830263b049de1639f39f05a4da616b9b78c7a5e4e41662fd1f"},
		{1 << 20, "74cb441fd087764ca9c3694da742ebe30cbeb3060a17009ca81825c7a8d10343"},
		{4<<20 + 7, "9c1461e3de2a470b93d5ad72d82c75c5b2ea158518b4c671cce056fd22a5e3fd"},
	} {
		b := make([]byte, tc.n)
		for i := range b {
			b[i] = byte(i % 251)
		}
		if got := ID(b); got != tc.want {
			t.Errorf("ID of %d bytes = %s, want %s", tc.n, got, tc.want)
		}
	}
}
