package pfs

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/chunk"
	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Damage is one problem fsck found.
type Damage struct {
	Project string `json:"project"`
	Repo    string `json:"repo"`
	Commit  string `json:"commit"`
	Path    string `json:"path,omitempty"`
	Problem string `json:"problem"`
	// Fixed says how a fix mended it; empty if it was not.
	Fixed string `json:"fixed,omitempty"`

	chunk string // the chunk found missing
}

// FsckReport is the result of a check.
type FsckReport struct {
	Commits int      `json:"commits"`
	Files   int64    `json:"files"`
	Chunks  int      `json:"chunks"`
	Packs   int      `json:"packs"`
	Damage  []Damage `json:"damage"`
}

// Fsck checks that every commit's tree decodes, that every chunk a file
// refers to is stored and matches its address, and that every recorded
// pack is stored whole, with an index of its own that agrees with the
// metadata store's. Objects that no commit references (left by an
// interrupted upload) are garbage, not damage. With fix, it mends what
// it can (see fsckFix).
func (a *API) Fsck(ctx context.Context, fix bool) (FsckReport, error) {
	var rep FsckReport
	var commits []meta.CommitRow
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		projects, err := tx.Projects(ctx)
		if err != nil {
			return err
		}
		for _, p := range projects {
			repos, err := tx.Repos(ctx, p.Name)
			if err != nil {
				return err
			}
			for _, r := range repos {
				cs, err := tx.RepoCommits(ctx, p.Name, r.Name, nil, 0)
				if err != nil {
					return err
				}
				commits = append(commits, cs...)
			}
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("fsck: %w", err)
	}
	sort.SliceStable(commits, func(i, j int) bool {
		return commits[i].Project < commits[j].Project || commits[i].Project == commits[j].Project && commits[i].Repo < commits[j].Repo
	})
	st := nodeReader{a}
	nodes := map[string]bool{}
	checked := map[string]error{}
	for _, c := range commits {
		rep.Commits++
		files, size, err := fileset.Stat(ctx, st, c.Root)
		if err != nil {
			rep.Damage = append(rep.Damage, Damage{Project: c.Project, Repo: c.Repo, Commit: c.ID, Problem: err.Error()})
			continue
		}
		if files != c.Files || size != c.SizeBytes {
			rep.Damage = append(rep.Damage, Damage{Project: c.Project, Repo: c.Repo, Commit: c.ID,
				Problem: fmt.Sprintf("tree holds %d files, %d bytes; the commit records %d files, %d bytes", files, size, c.Files, c.SizeBytes)})
		}
		err = fileset.Walk(ctx, st, c.Root, func(id string) bool {
			if nodes[id] {
				return true
			}
			nodes[id] = true
			return false
		}, func(f fileset.File) error {
			rep.Files++
			if p, err := tusk.CleanPath(f.Path); err != nil || p != f.Path || p == "/" {
				rep.Damage = append(rep.Damage, Damage{Project: c.Project, Repo: c.Repo, Commit: c.ID, Path: f.Path,
					Problem: "a file at a path that is not a canonical file path; delete it with tusk delete file"})
			}
			for _, r := range f.Refs {
				cerr, done := checked[r.Chunk]
				if !done {
					_, cerr = a.readChunkUncached(ctx, r.Chunk)
					checked[r.Chunk] = cerr
				}
				if cerr != nil {
					d := Damage{Project: c.Project, Repo: c.Repo, Commit: c.ID, Path: f.Path, Problem: cerr.Error()}
					if errors.Is(cerr, blob.ErrNotFound) {
						d.chunk = r.Chunk
					}
					rep.Damage = append(rep.Damage, d)
				}
			}
			return nil
		})
		if err != nil {
			rep.Damage = append(rep.Damage, Damage{Project: c.Project, Repo: c.Repo, Commit: c.ID, Problem: err.Error()})
		}
	}
	rep.Chunks = len(checked)
	if err := a.fsckPacks(ctx, &rep); err != nil {
		return rep, fmt.Errorf("fsck: %w", err)
	}
	if fix {
		if err := a.fsckFix(ctx, rep.Damage); err != nil {
			return rep, fmt.Errorf("fsck --fix: %w", err)
		}
	}
	return rep, nil
}

// fsckFix mends the damage that can be mended in place: a chunk that the
// metadata store does not locate, but that is stored whole, is recorded
// where it is. That is a pack written and never recorded (its server died
// between the two), a chunk stored on its own by a format 3 server, as a
// commit that refers to it would find them (adopt), or, when the metadata
// store has lost more than that (restored from a backup older than the
// objects), any pack in the store that holds it, by the pack's own index.
// It marks what it mended, once the chunk reads back whole.
func (a *API) fsckFix(ctx context.Context, damage []Damage) error {
	var keys []string
	seen := map[string]bool{}
	for _, d := range damage {
		if d.chunk != "" && !seen[d.chunk] {
			seen[d.chunk] = true
			keys = append(keys, chunk.Key(d.chunk))
		}
	}
	if len(keys) == 0 {
		return nil
	}
	keys, err := a.adopt(ctx, keys)
	if err != nil {
		return err
	}
	if len(keys) > 0 {
		if err := a.adoptFromAnyPack(ctx, keys); err != nil {
			return err
		}
	}
	mended := map[string]bool{}
	for id := range seen {
		_, err := a.readChunkUncached(ctx, id)
		mended[id] = err == nil
	}
	for i, d := range damage {
		if mended[d.chunk] {
			damage[i].Fixed = "the chunk was found in the store and recorded"
		}
	}
	return nil
}

// adoptFromAnyPack reads the index of every pack in the store that the
// metadata store does not know, and records those holding any of keys
// with their chunks that match their address.
func (a *API) adoptFromAnyPack(ctx context.Context, keys []string) error {
	ls, ok := a.objects.(blob.Lister)
	if !ok {
		return nil
	}
	var packs []string
	err := ls.List(ctx, "packs/", func(info blob.Info) error {
		if isPackKey(info.Key) {
			packs = append(packs, info.Key)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("list packs: %w", err)
	}
	var unknown []string
	for _, p := range packs {
		var known bool
		if err := a.db.View(ctx, func(tx *meta.Tx) error {
			var err error
			known, err = tx.ObjectKnown(ctx, p)
			return err
		}); err != nil {
			return err
		}
		if !known {
			unknown = append(unknown, p)
		}
	}
	_, err = a.adoptFrom(ctx, unknown, keys)
	return err
}

// fsckPacks checks each recorded pack against its record: its size, and
// the place of each chunk located in it by its own index.
func (a *API) fsckPacks(ctx context.Context, rep *FsckReport) error {
	var usages []meta.PackUsage
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		var err error
		usages, err = tx.PackUsages(ctx)
		return err
	})
	if err != nil {
		return err
	}
	damage := func(format string, args ...any) {
		rep.Damage = append(rep.Damage, Damage{Problem: fmt.Sprintf(format, args...)})
	}
	for _, u := range usages {
		rep.Packs++
		info, err := a.objects.Stat(ctx, u.Pack)
		if err != nil {
			damage("pack %s, holding %d chunks in use: %v", u.Pack, u.Chunks, err)
			continue
		}
		if info.Size != u.Size {
			damage("pack %s is %d bytes; it was written with %d", u.Pack, info.Size, u.Size)
			continue
		}
		own, err := a.readPackIndex(ctx, u.Pack)
		if err != nil {
			damage("%v", err)
			continue
		}
		var entries []meta.PackEntry
		err = a.db.View(ctx, func(tx *meta.Tx) error {
			var err error
			entries, err = tx.PackChunks(ctx, u.Pack)
			return err
		})
		if err != nil {
			return err
		}
		holds := map[meta.PackEntry]bool{}
		for _, e := range own {
			holds[e] = true
		}
		for _, e := range entries {
			if !holds[e] {
				damage("pack %s does not hold chunk %s where the metadata store locates it", u.Pack, e.Chunk)
			}
		}
	}
	return nil
}

func (a *API) readChunkUncached(ctx context.Context, id string) ([]byte, error) {
	enc, err := a.readStored(ctx, chunk.Key(id))
	if err != nil {
		return nil, err
	}
	return chunk.Decode(id, enc)
}
