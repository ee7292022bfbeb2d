package tusk

import (
	"cmp"
	"time"
)

// DefaultProject is the project that always exists, and that repos and
// pipelines are in unless they name another.
const DefaultProject = "default"

// Project is a namespace for repos and pipelines.
type Project struct {
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Created     time.Time `json:"created"`
}

// Repo is a versioned data repository.
type Repo struct {
	Project     string    `json:"project"`
	Name        string    `json:"name"`
	Type        string    `json:"type"` // "user", or "spec" / "meta" for pipeline system repos
	Description string    `json:"description,omitempty"`
	Created     time.Time `json:"created"`
	Branches    []string  `json:"branches,omitempty"`
	SizeBytes   int64     `json:"size_bytes"` // size of the master branch head (or the only branch)
}

// BranchRef names a branch. An empty Project is the project of the
// repo that refers to the branch (its provenance or subvenance).
type BranchRef struct {
	Project string `json:"project,omitempty"`
	Repo    string `json:"repo"`
	Branch  string `json:"branch"`
}

func (b BranchRef) String() string { return qualified(b.Project, b.Repo) + "@" + b.Branch }

// In is b with its Project filled in: project when it names none.
func (b BranchRef) In(project string) BranchRef {
	b.Project = cmp.Or(b.Project, project)
	return b
}

// From is b as a reference from a repo of project names it: with no
// Project when it is that one.
func (b BranchRef) From(project string) BranchRef {
	if b.Project == project {
		b.Project = ""
	}
	return b
}

// OtherProject is project as a reference from a repo of the default
// project names it: empty for the default project itself.
func OtherProject(project string) string {
	if project == DefaultProject {
		return ""
	}
	return project
}

// qualified names a repo "project/repo", or "repo" when project is empty.
func qualified(project, repo string) string {
	if project == "" {
		return repo
	}
	return project + "/" + repo
}

// Branch is a mutable pointer to a head commit. Provenance and
// Subvenance in another project than the branch's name it.
type Branch struct {
	Project    string      `json:"project,omitempty"`
	Repo       string      `json:"repo"`
	Name       string      `json:"name"`
	Head       string      `json:"head"`
	Provenance []BranchRef `json:"provenance,omitempty"`
	Subvenance []BranchRef `json:"subvenance,omitempty"`
	Trigger    *Trigger    `json:"trigger,omitempty"`
	Created    time.Time   `json:"created"`
}

// Trigger defers a branch's head: it moves to the head of Branch, a
// branch of the same repo, when a commit finished there meets the
// conditions since the branch last moved (or a tick of Cron comes). The
// conditions are a Cron tick passed, at least Size bytes added (a
// humanized size, "1MB"), and at least Commits commits; with All every
// condition set must hold, else any one.
type Trigger struct {
	Branch  string `json:"branch"`
	All     bool   `json:"all,omitempty"`
	Cron    string `json:"cron_spec,omitempty"`
	Size    string `json:"size,omitempty"`
	Commits int64  `json:"commits,omitempty"`
}

// Commit states.
const (
	CommitStarted  = "STARTED"
	CommitFinished = "FINISHED"
)

// Commit origins.
const (
	OriginUser = "USER"
	OriginAuto = "AUTO"
)

// CommitRef names one commit of a commit set. An empty Project is the
// project of the repo that refers to the commit.
type CommitRef struct {
	Project string `json:"project,omitempty"`
	Repo    string `json:"repo"`
	Branch  string `json:"branch,omitempty"`
	ID      string `json:"id"`
}

func (c CommitRef) String() string { return qualified(c.Project, c.Repo) + "@" + c.ID }

// In is c with its Project filled in: project when it names none.
func (c CommitRef) In(project string) CommitRef {
	c.Project = cmp.Or(c.Project, project)
	return c
}

// Commit is an immutable (once finished) state of a repo.
type Commit struct {
	Project     string      `json:"project,omitempty"`
	Repo        string      `json:"repo"`
	ID          string      `json:"id"`
	Branch      string      `json:"branch,omitempty"`
	Parent      string      `json:"parent,omitempty"`
	Children    []string    `json:"children,omitempty"`
	Origin      string      `json:"origin"`
	State       string      `json:"state"`
	Description string      `json:"description,omitempty"`
	Error       string      `json:"error,omitempty"`
	Started     time.Time   `json:"started"`
	Finished    *time.Time  `json:"finished,omitempty"`
	SizeBytes   int64       `json:"size_bytes"`
	Files       int64       `json:"files"`
	Provenance  []CommitRef `json:"provenance,omitempty"`
	Root        string      `json:"root,omitempty"` // root of the commit's file tree
}

// FileInfo describes a file or an implied directory in a commit.
type FileInfo struct {
	Path      string `json:"path"`
	Type      string `json:"type"` // "file" or "dir"
	SizeBytes int64  `json:"size_bytes"`
	Hash      string `json:"hash,omitempty"`
	Commit    string `json:"commit,omitempty"`
	Files     int64  `json:"files,omitempty"` // files under a directory
}

// FileDiff is one difference between two commits.
type FileDiff struct {
	Path string    `json:"path"`
	Old  *FileInfo `json:"old,omitempty"`
	New  *FileInfo `json:"new,omitempty"`
}

// CommitEvent is pushed to subscribers when a commit is created, finished
// or deleted.
type CommitEvent struct {
	Type   string `json:"type"` // "started", "finished", "deleted"
	Commit Commit `json:"commit"`
}
