package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name.golden, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from %s (-want +got):\n%s", name, path, diff)
	}
}

var (
	testNow  = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	created  = testNow.Add(-49 * time.Hour)
	finished = testNow.Add(-2*time.Minute - 5*time.Second)
	headID   = "0f6c2e8a5b3d4c1e9a7f8b6d5c4e3a21"
	parentID = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"
)

var (
	testRepos = []tusk.Repo{
		{Project: "default", Name: "images", Type: "user", Description: "raw camera images", Created: created, Branches: []string{"master", "staging"}, SizeBytes: 1288490189},
		{Project: "default", Name: "edges", Type: "user", Created: testNow.Add(-90 * time.Second), SizeBytes: 512},
	}
	testBranches = []tusk.Branch{
		{Repo: "edges", Name: "master", Head: headID, Provenance: []tusk.BranchRef{{Repo: "images", Branch: "master"}}, Created: created},
		{Repo: "edges", Name: "empty", Created: created, Trigger: &tusk.Trigger{Branch: "staging", All: true, Size: "1MB", Commits: 2, Cron: "@hourly"}},
	}
	testCommits = []tusk.Commit{
		{Repo: "edges", ID: headID, Branch: "master", Parent: parentID, Origin: tusk.OriginAuto, State: tusk.CommitFinished,
			Description: "tab\tand\nnewline", Started: finished.Add(-time.Second), Finished: &finished, SizeBytes: 1536, Files: 3,
			Provenance: []tusk.CommitRef{{Repo: "images", Branch: "master", ID: headID}}},
		{Repo: "edges", ID: parentID, Branch: "master", Children: []string{headID}, Origin: tusk.OriginUser, State: tusk.CommitStarted,
			Started: created, Error: "worker failed", SizeBytes: 0},
	}
	testFiles = []tusk.FileInfo{
		{Path: "/café.csv", Type: "file", SizeBytes: 15, Hash: "5e0b8e0b1f0a4f1f0b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a", Commit: headID},
		{Path: "/IMG (1).jpg", Type: "file", SizeBytes: 3 << 20, Commit: headID},
		{Path: "/photos/", Type: "dir", SizeBytes: 5 << 30, Files: 1200, Commit: headID},
		{Path: "/raw", Type: "dir", SizeBytes: 2048, Files: 2, Commit: headID},
	}
	testDiff = []fileChange{
		changeOf(tusk.FileDiff{Path: "/a.csv", Old: &tusk.FileInfo{Path: "/a.csv", Type: "file", SizeBytes: 1024}, New: &tusk.FileInfo{Path: "/a.csv", Type: "file", SizeBytes: 1536}}),
		changeOf(tusk.FileDiff{Path: "/new.csv", New: &tusk.FileInfo{Path: "/new.csv", Type: "file", SizeBytes: 3}}),
		changeOf(tusk.FileDiff{Path: "/old/gone.txt", Old: &tusk.FileInfo{Path: "/old/gone.txt", Type: "file", SizeBytes: 300}}),
	}
)

func TestOutputGolden(t *testing.T) {
	fsck := client.FsckReport{Commits: 12, Files: 340, Chunks: 1, Packs: 1}
	damaged := fsck
	damaged.Damage = append(damaged.Damage, client.FsckDamage{Project: tusk.DefaultProject, Repo: "images", Commit: headID, Path: "/cat.png", Problem: "chunk 1a2b: object not found"},
		client.FsckDamage{Project: "lab", Repo: "images", Commit: parentID, Path: "/dog.png", Problem: "chunk 3c4d: object not found"})
	cfg := config{ActiveContext: "local", Contexts: map[string]contextConfig{"local": {Address: "127.0.0.1:1650"}, "lab": {Address: "http://10.0.0.5:1650"}}}
	info := &client.Info{ClusterID: "0f6c2e8a5b3d4c1e9a7f8b6d5c4e3a21", Version: "0.1.0", APIVersion: "v1", FormatVersion: 1, Metadata: "sqlite"}

	for _, tc := range []struct {
		name  string
		print func(p printer) error
	}{
		{"list_repo", func(p printer) error { return printRepos(p, testRepos) }},
		{"inspect_repo", func(p printer) error { return printRepo(p, testRepos[0]) }},
		{"list_branch", func(p printer) error { return printBranches(p, testBranches) }},
		{"inspect_branch", func(p printer) error { return printBranch(p, testBranches[0]) }},
		{"list_commit", func(p printer) error { return printAllAs(p, commitHeader, commitCells(p), commitShape, testCommits) }},
		{"list_commit_set", func(p printer) error {
			sets := []commitSet{{ID: headID, Commits: testCommits[:1]}, {ID: parentID, Commits: testCommits[1:]}}
			return printAllAs(p, commitSetHeader, commitSetCells(p), commitSetShape, sets)
		}},
		{"inspect_commit_set", func(p printer) error { return printCommitSet(p, commitSet{ID: headID, Commits: testCommits[:1]}) }},
		{"inspect_commit", func(p printer) error { return printCommit(p, testCommits[0]) }},
		{"inspect_commit_open", func(p printer) error { return printCommit(p, testCommits[1]) }},
		{"list_file", func(p printer) error {
			return printAllAs(p, fileHeader, fileCells, fileShape("images@master:/"), testFiles)
		}},
		{"inspect_file", func(p printer) error { return printFile(p, fileCommit("images@master:/IMG (1).jpg"), testFiles[1]) }},
		{"inspect_file_dir", func(p printer) error { return printFile(p, fileCommit("images@"+headID+":/photos"), testFiles[2]) }},
		{"diff_file", func(p printer) error { return printDiff(p, diffOptions{}, testDiff) }},
		{"diff_file_name_only", func(p printer) error { return printDiff(p, diffOptions{nameOnly: true}, testDiff) }},
		{"gc", func(p printer) error {
			return printGC(p, client.GCStats{Objects: 12, BytesFreed: 3565158, Live: 1, Repacked: 2})
		}},
		{"gc_dry_run", func(p printer) error {
			return printGC(p, client.GCStats{Objects: 1, BytesFreed: 100, Live: 40, DryRun: true})
		}},
		{"fsck", func(p printer) error { return printFsck(p, fsck, false) }},
		{"fsck_damage", func(p printer) error { return printFsck(p, damaged, false) }},
		{"version", func(p printer) error { return printVersion(p, versionInfo{Client: "0.1.0", Server: info}) }},
		{"list_context", func(p printer) error { return printContexts(p, cfg) }},
	} {
		for _, format := range []string{"table", "json"} {
			t.Run(tc.name+"_"+format, func(t *testing.T) {
				var buf bytes.Buffer
				p := printer{out: &buf, json: format == "json", now: testNow}
				if err := tc.print(p); err != nil {
					t.Fatal(err)
				}
				golden(t, tc.name+"."+format, buf.Bytes())
			})
		}
	}
}

func TestHumanSize(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 1: "1 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 1288490189: "1.2 GiB",
		5 << 30: "5.0 GiB", 3 << 40: "3.0 TiB", 1 << 62: "4.0 EiB",
	} {
		if got := humanSize(n); got != want {
			t.Errorf("humanSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestAgo(t *testing.T) {
	p := printer{now: testNow}
	for d, want := range map[time.Duration]string{
		0:                        "less than a second ago",
		-time.Minute:             "less than a second ago",
		time.Second:              "1 second ago",
		45 * time.Second:         "45 seconds ago",
		90 * time.Second:         "about a minute ago",
		2 * time.Minute:          "2 minutes ago",
		time.Hour:                "about an hour ago",
		5 * time.Hour:            "5 hours ago",
		49 * time.Hour:           "2 days ago",
		20 * 24 * time.Hour:      "2 weeks ago",
		90 * 24 * time.Hour:      "3 months ago",
		3 * 365 * 24 * time.Hour: "3 years ago",
	} {
		if got := p.ago(testNow.Add(-d)); got != want {
			t.Errorf("ago(now - %v) = %q, want %q", d, got, want)
		}
	}
	if got := p.ago(time.Time{}); got != "-" {
		t.Errorf("ago(zero) = %q, want -", got)
	}
}
