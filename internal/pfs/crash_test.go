package pfs

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tuskdata/tusk/internal/blob/local"
	"github.com/tuskdata/tusk/internal/blob/local/localtest"
	"github.com/tuskdata/tusk/internal/tusk"
)

// TestFsyncDiscipline checks that a finished commit never depends on an
// object write that was not yet synced: the object store runs on a file
// system that throws away every unsynced write at a simulated crash,
// injected at a random point of a random write. After each crash, every
// commit the metadata store holds must read back exactly, and fsck must
// find no damage.
func TestFsyncDiscipline(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	ctx := context.Background()
	fsys := localtest.NewCrashFS()
	dsn := filepath.Join(t.TempDir(), "meta.db")
	open := func() *API {
		st, err := local.OpenFS(fsys, "/objects")
		if err != nil {
			t.Fatal(err)
		}
		return openTestAPI(t, st, dsn)
	}
	a := open()
	if _, err := a.CreateRepo(ctx, tusk.DefaultProject, "data", ""); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{} // commit ID -> tree
	rounds := 40
	if testing.Short() {
		rounds = 8 // the run under the race detector
	}
	for round := 0; round < rounds; round++ {
		// A few writes that complete...
		for i := 0; i < 1+rng.IntN(3); i++ {
			files := []string{fmt.Sprintf("/f%d", rng.IntN(20)), fmt.Sprintf("round %d write %d %x", round, i, rng.Uint64())}
			if rng.IntN(3) == 0 {
				files = append(files, fmt.Sprintf("/dir/big%d", rng.IntN(3)), string(randomBytes(rng, 300_000+rng.IntN(700_000))))
			}
			c := put(t, a, "data@master", files...)
			want[c.ID] = tree(t, a, "data@"+c.ID)
		}
		// ...then one that dies at a random operation of the file system.
		fsys.FailAfter(rng.IntN(12))
		files := [][2]string{{"/crash", fmt.Sprintf("interrupted %d", round)}, {"/dir/more", string(randomBytes(rng, 500_000))}}
		if c, err := a.ModifyFiles(ctx, mustRef(t, "data@master"), uploadLenient(a, files)); err == nil {
			// It returned: it must survive the crash.
			want[c.ID] = tree(t, a, "data@"+c.ID)
		}
		fsys.Crash()
		a = open()
		for id, files := range want {
			got := tree(t, a, "data@"+id)
			if diff := cmp.Diff(files, got); diff != "" {
				t.Fatalf("round %d: commit %s changed after a crash (-want +got):\n%s", round, id, diff)
			}
		}
	}
	rep, err := a.Fsck(ctx, false)
	if err != nil || len(rep.Damage) != 0 {
		t.Fatalf("fsck: %+v, %v", rep.Damage, err)
	}
	if rep.Commits < rounds {
		t.Errorf("fsck saw %d commits", rep.Commits)
	}
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	return b
}
