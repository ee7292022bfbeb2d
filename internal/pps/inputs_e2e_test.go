package pps_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// A job whose input repo is deleted under it (delete repo --force) fails
// at once, saying so, instead of failing datum after datum.
func TestJobWhoseInputRepoIsDeletedFailsFast(t *testing.T) {
	e := newEnv(t)
	count := testenv.OpenDir(t, os.ModeSticky|0o777)
	e.repo("in")
	var kv []string
	const n = 40
	for i := range n {
		kv = append(kv, fmt.Sprintf("/f%02d", i), "x")
	}
	e.put("in", kv...)
	e.pipeline(fmt.Sprintf(`{"pipeline": {"name": "gone"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["sh", "-c", "echo >> %s/$(basename $in); sleep 0.1; cp $in /pfs/out/"]},
		"datum_set_spec": {"number": 2}, "datum_tries": 3}`, count))
	var job string
	e.eventually("a few datums done", func() bool {
		js, err := e.c.ListJobs(e.ctx, "gone", "", 1)
		if err != nil || len(js) == 0 {
			return false
		}
		job = js[0].ID
		return js[0].DataProcessed >= 2
	})
	if err := e.c.DeleteRepo(e.ctx, "in", true); err != nil {
		t.Fatal(err)
	}
	done, err := e.c.WaitJob(e.ctx, "gone", job)
	if err != nil {
		t.Fatal(err)
	}
	j := done[0]
	if j.State != tusk.JobFailure || !strings.Contains(j.Reason, "input repo in was deleted") {
		t.Errorf("job = %s (%s); want a failure saying input repo in was deleted", j.State, j.Reason)
	}
	entries, err := os.ReadDir(count)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) >= n {
		t.Errorf("%d of %d datums ran after their input repo was deleted; want the job to stop first", len(entries), n)
	}
	failed := 0
	e.c.ListDatums(e.ctx, "gone", job, tusk.DatumFailed, func(d tusk.DatumInfo) error {
		failed++
		if strings.Contains(d.Reason, "cut short") {
			t.Errorf("datum %s failed with %q", d.ID, d.Reason)
		}
		return nil
	})
	t.Logf("job %s: %s; %d datums ran, %d failed", j.State, j.Reason, len(entries), failed)
}

// A job whose inputs the server cannot read (their chunks are gone from
// the object store) fails at once with the read error, its datums tried
// once each at most.
func TestJobWhoseInputCannotBeReadFailsFast(t *testing.T) {
	e := newEnv(t)
	e.repo("in")
	var kv []string
	const n = 20
	for i := range n {
		kv = append(kv, fmt.Sprintf("/f%02d", i), fmt.Sprintf("content of file %d", i))
	}
	e.put("in", kv...)
	removeChunkPacks(t, filepath.Join(e.dir, "objects", "packs"))
	e.pipeline(`{"pipeline": {"name": "unreadable"}, "input": {"pfs": {"repo": "in", "glob": "/*"}},
		"transform": {"cmd": ["sh", "-c", "cp $in /pfs/out/"]}, "datum_set_spec": {"number": 2}, "datum_tries": 3}`)
	j := e.lastJob("unreadable")
	if j.State != tusk.JobFailure || !strings.Contains(j.Reason, "could not be read") {
		t.Fatalf("job = %s (%s); want a failure saying the inputs could not be read", j.State, j.Reason)
	}
	attempts := 0
	e.c.ListDatums(e.ctx, "unreadable", j.ID, "", func(d tusk.DatumInfo) error {
		attempts += d.Attempts
		return nil
	})
	if attempts >= n {
		t.Errorf("%d attempts over %d datums; want the job to fail before trying each", attempts, n)
	}
	t.Logf("job %s: %s; %d attempts", j.State, j.Reason, attempts)
}

// removeChunkPacks deletes the packs under dir that hold chunks, leaving
// those of tree nodes only: the trees read, the files' data is gone. A
// pack's index (docs/format.md) ends it: the index's length, "tuskpak2",
// and in the index after the count, a kind byte (0 for a chunk) before
// each object's ID and length.
func removeChunkPacks(t *testing.T, dir string) {
	t.Helper()
	removed := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		end := len(data) - len("tuskpak2")
		if end < 4 || string(data[end:]) != "tuskpak2" {
			return fmt.Errorf("%s is not a pack", p)
		}
		r := bytes.NewReader(data[end-4-int(binary.LittleEndian.Uint32(data[end-4:end])) : end-4])
		count, err := binary.ReadUvarint(r)
		if err != nil {
			return err
		}
		for range count {
			kind, err := r.ReadByte()
			if err != nil {
				return err
			}
			if kind == 0 {
				removed++
				return os.Remove(p)
			}
			if _, err := r.Seek(32, io.SeekCurrent); err != nil {
				return err
			}
			if _, err := binary.ReadUvarint(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || removed == 0 {
		t.Fatalf("remove the packs of chunks: %d removed, %v", removed, err)
	}
}
