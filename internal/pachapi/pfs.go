package pachapi

import (
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/tuskdata/tusk/internal/tusk"
)

// Project is pfs_v2.Project.
type Project struct {
	Name string `json:"name,omitempty"`
}

// ProjectInfo is pfs_v2.ProjectInfo.
type ProjectInfo struct {
	Project     Project   `json:"project"`
	Description string    `json:"description,omitempty"`
	CreatedAt   Timestamp `json:"created_at,omitzero"`
}

// ProjectInfoFrom is p as pachctl prints a project.
func ProjectInfoFrom(p tusk.Project) ProjectInfo {
	return ProjectInfo{Project: Project{Name: p.Name}, Description: p.Description, CreatedAt: At(p.Created)}
}

// Repo is pfs_v2.Repo: a repo is named by its project, name and type
// ("user", or "spec" and "meta" for a pipeline's system repos).
type Repo struct {
	Name    string   `json:"name,omitempty"`
	Type    string   `json:"type,omitempty"`
	Project *Project `json:"project,omitempty"`
}

// RepoOf names a repo of the default project the way Pachyderm does:
// Tusk names a pipeline's spec repo "P.spec", Pachyderm repo P of type
// spec.
func RepoOf(name string) Repo { return RepoIn(tusk.DefaultProject, name) }

// RepoIn is RepoOf of a repo of project (empty: the default project).
func RepoIn(project, name string) Repo {
	typ := "user"
	if base, sys, ok := strings.Cut(name, "."); ok && (sys == "spec" || sys == "meta") {
		name, typ = base, sys
	}
	return Repo{Name: name, Type: typ, Project: &Project{Name: projectOr(project)}}
}

// RepoInfo is pfs_v2.RepoInfo.
type RepoInfo struct {
	Repo                Repo         `json:"repo"`
	Created             Timestamp    `json:"created,omitzero"`
	SizeBytesUpperBound int64        `json:"size_bytes_upper_bound,omitempty,string"`
	Description         string       `json:"description,omitempty"`
	Branches            []Branch     `json:"branches,omitempty"`
	Details             *SizeDetails `json:"details,omitempty"`
}

// SizeDetails is RepoInfo.Details (and the size of CommitInfo.Details):
// the exact size, which Tusk always knows.
type SizeDetails struct {
	SizeBytes int64 `json:"size_bytes,omitempty,string"`
}

// RepoInfoFrom is r as pachctl prints a repo.
func RepoInfoFrom(r tusk.Repo) RepoInfo {
	repo := Repo{Name: strings.TrimSuffix(r.Name, "."+r.Type), Type: r.Type, Project: &Project{Name: projectOr(r.Project)}}
	ri := RepoInfo{
		Repo:                repo,
		Created:             At(r.Created),
		SizeBytesUpperBound: r.SizeBytes,
		Description:         r.Description,
		Details:             &SizeDetails{SizeBytes: r.SizeBytes},
	}
	for _, b := range r.Branches {
		ri.Branches = append(ri.Branches, Branch{Repo: repo, Name: b})
	}
	return ri
}

func projectOr(p string) string {
	if p == "" {
		return tusk.DefaultProject
	}
	return p
}

// Branch is pfs_v2.Branch.
type Branch struct {
	Repo Repo   `json:"repo"`
	Name string `json:"name,omitempty"`
}

func branchOf(b tusk.BranchRef) Branch {
	return Branch{Repo: RepoIn(b.Project, b.Repo), Name: b.Branch}
}

// branchesOf is bs, references from a repo of project.
func branchesOf(project string, bs []tusk.BranchRef) []Branch {
	var out []Branch
	for _, b := range bs {
		out = append(out, branchOf(b.In(project)))
	}
	return out
}

// BranchInfo is pfs_v2.BranchInfo.
type BranchInfo struct {
	Branch           Branch    `json:"branch"`
	Head             *Commit   `json:"head,omitempty"`
	Provenance       []Branch  `json:"provenance,omitempty"`
	Subvenance       []Branch  `json:"subvenance,omitempty"`
	DirectProvenance []Branch  `json:"direct_provenance,omitempty"`
	Trigger          *Trigger  `json:"trigger,omitempty"`
	CreatedAt        Timestamp `json:"created_at,omitzero"`
}

// Trigger is pfs_v2.Trigger. Tusk's cron condition is given as
// cron_spec, the field pachctl's --trigger-cron sets.
type Trigger struct {
	Branch   string `json:"branch"`
	All      bool   `json:"all,omitempty"`
	Size     string `json:"size,omitempty"`
	Commits  Int64  `json:"commits,omitempty"`
	CronSpec string `json:"cron_spec,omitempty"`
}

// TriggerOf is t as pachctl prints a trigger; nil for none.
func TriggerOf(t *tusk.Trigger) *Trigger {
	if t == nil {
		return nil
	}
	return &Trigger{Branch: t.Branch, All: t.All, Size: t.Size, Commits: Int64(t.Commits), CronSpec: t.Cron}
}

// BranchInfoFrom is b as pachctl prints a branch. Tusk keeps a branch's
// direct provenance, which is given as both provenance and
// direct_provenance.
func BranchInfoFrom(b tusk.Branch) BranchInfo {
	br := Branch{Repo: RepoIn(b.Project, b.Repo), Name: b.Name}
	bi := BranchInfo{
		Branch:           br,
		Provenance:       branchesOf(b.Project, b.Provenance),
		Subvenance:       branchesOf(b.Project, b.Subvenance),
		DirectProvenance: branchesOf(b.Project, b.Provenance),
		Trigger:          TriggerOf(b.Trigger),
		CreatedAt:        At(b.Created),
	}
	if b.Head != "" {
		bi.Head = &Commit{Repo: br.Repo, ID: b.Head, Branch: &br}
	}
	return bi
}

// Commit is pfs_v2.Commit.
type Commit struct {
	Repo   Repo    `json:"repo"`
	ID     string  `json:"id,omitempty"`
	Branch *Branch `json:"branch,omitempty"`
}

// CommitOf is the commit id of repo, on branch if it is not empty.
func CommitOf(repo, branch, id string) Commit { return CommitIn(tusk.DefaultProject, repo, branch, id) }

// CommitIn is CommitOf of a repo of project.
func CommitIn(project, repo, branch, id string) Commit {
	c := Commit{Repo: RepoIn(project, repo), ID: id}
	if branch != "" {
		c.Branch = &Branch{Repo: c.Repo, Name: branch}
	}
	return c
}

func commitRef(c tusk.CommitRef) Commit { return CommitIn(c.Project, c.Repo, c.Branch, c.ID) }

// CommitOrigin is pfs_v2.CommitOrigin; Kind is USER, AUTO or FSCK.
type CommitOrigin struct {
	Kind string `json:"kind,omitempty"`
}

// CommitInfo is pfs_v2.CommitInfo. A commit is finished when Finished is
// set.
type CommitInfo struct {
	Commit              Commit       `json:"commit"`
	Origin              CommitOrigin `json:"origin"`
	Description         string       `json:"description,omitempty"`
	ParentCommit        *Commit      `json:"parent_commit,omitempty"`
	ChildCommits        []Commit     `json:"child_commits,omitempty"`
	Started             Timestamp    `json:"started,omitzero"`
	Finishing           Timestamp    `json:"finishing,omitzero"`
	Finished            Timestamp    `json:"finished,omitzero"`
	DirectProvenance    []Commit     `json:"direct_provenance,omitempty"`
	Error               string       `json:"error,omitempty"`
	SizeBytesUpperBound int64        `json:"size_bytes_upper_bound,omitempty,string"`
	Details             *SizeDetails `json:"details,omitempty"`
}

// CommitInfoFrom is c as pachctl prints a commit. Tusk's commits finish
// in one step, so finishing is when they finished.
func CommitInfoFrom(c tusk.Commit) CommitInfo {
	ci := CommitInfo{
		Commit:              CommitIn(c.Project, c.Repo, c.Branch, c.ID),
		Origin:              CommitOrigin{Kind: c.Origin},
		Description:         c.Description,
		Started:             At(c.Started),
		Finishing:           AtPtr(c.Finished),
		Finished:            AtPtr(c.Finished),
		Error:               c.Error,
		SizeBytesUpperBound: c.SizeBytes,
		Details:             &SizeDetails{SizeBytes: c.SizeBytes},
	}
	if c.Parent != "" {
		p := CommitIn(c.Project, c.Repo, "", c.Parent)
		ci.ParentCommit = &p
	}
	for _, id := range c.Children {
		ci.ChildCommits = append(ci.ChildCommits, CommitIn(c.Project, c.Repo, "", id))
	}
	for _, p := range c.Provenance {
		ci.DirectProvenance = append(ci.DirectProvenance, commitRef(p.In(c.Project)))
	}
	return ci
}

// CommitSet is pfs_v2.CommitSet.
type CommitSet struct {
	ID string `json:"id,omitempty"`
}

// CommitSetInfo is pfs_v2.CommitSetInfo: the commits one change made, one
// per repo it reached, under one ID.
type CommitSetInfo struct {
	CommitSet CommitSet    `json:"commit_set"`
	Commits   []CommitInfo `json:"commits,omitempty"`
}

// CommitSetInfoFrom is the commit set id made of cs.
func CommitSetInfoFrom(id string, cs []tusk.Commit) CommitSetInfo {
	s := CommitSetInfo{CommitSet: CommitSet{ID: id}}
	for _, c := range cs {
		s.Commits = append(s.Commits, CommitInfoFrom(c))
	}
	return s
}

// File is pfs_v2.File.
type File struct {
	Commit Commit `json:"commit"`
	Path   string `json:"path,omitempty"`
	Datum  string `json:"datum,omitempty"`
}

// FileInfo is pfs_v2.FileInfo; FileType is FILE or DIR, Hash the content
// hash in base64 (protojson's form of bytes).
type FileInfo struct {
	File      File   `json:"file"`
	FileType  string `json:"file_type,omitempty"`
	SizeBytes int64  `json:"size_bytes,omitempty,string"`
	Hash      string `json:"hash,omitempty"`
}

// FileInfoFrom is fi, a file of commit, as pachctl prints a file; fi's
// commit ID, when it has one, is the commit's.
func FileInfoFrom(commit Commit, fi tusk.FileInfo) FileInfo {
	if fi.Commit != "" {
		commit.ID = fi.Commit
	}
	out := FileInfo{File: File{Commit: commit, Path: fi.Path}, FileType: strings.ToUpper(fi.Type), SizeBytes: fi.SizeBytes}
	if h, err := hex.DecodeString(fi.Hash); err == nil && len(h) > 0 {
		out.Hash = base64.StdEncoding.EncodeToString(h)
	}
	return out
}
