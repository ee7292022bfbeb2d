package chunk

import (
	"runtime"
	"sync"
	"testing"
)

// packAll packs data as one file; emit sees every chunk and releases the
// ones release says to, and the others are returned.
func packAll(t *testing.T, data []byte, release func(Chunk) bool) []Chunk {
	t.Helper()
	var mu sync.Mutex
	var kept []Chunk
	packWith(t, func(c Chunk) error {
		if release(c) {
			c.Release()
			return nil
		}
		mu.Lock()
		kept = append(kept, c)
		mu.Unlock()
		return nil
	}, data)
	return kept
}

// Released chunks let the Packer reuse its buffers; chunks kept are never
// overwritten by that reuse.
func TestReleasedBuffersAreReusedAndKeptChunksStay(t *testing.T) {
	data := randomBytes(11, 96<<20)
	i := 0
	var mu sync.Mutex
	kept := packAll(t, data, func(Chunk) bool {
		mu.Lock()
		defer mu.Unlock()
		i++
		return i%5 != 0 // keep every fifth
	})
	if len(kept) == 0 {
		t.Fatal("no chunk kept")
	}
	for _, c := range kept {
		if ID(c.Data) != c.ID {
			t.Fatalf("a kept chunk of %d bytes was overwritten by a reused buffer", len(c.Data))
		}
	}

	allocated := func(release bool) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		packAll(t, data, func(Chunk) bool { return release })
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	// Without reuse the run allocates a block per 16 MiB, all of the data;
	// with it, a few blocks in flight, more of them when the machine is
	// busy and releases lag.
	if got := allocated(true); got > uint64(len(data))*3/4 {
		t.Errorf("packing %d MiB with every chunk released allocated %d MiB: buffers are not reused",
			len(data)>>20, got>>20)
	}
	if got := allocated(false); got < uint64(len(data)) {
		t.Errorf("packing %d MiB with every chunk kept allocated only %d MiB: buffers of kept chunks were reused",
			len(data)>>20, got>>20)
	}
}
