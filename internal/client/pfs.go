package client

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tuskdata/tusk/internal/tusk"
)

// CreateRepo creates a repo.
func (c *Client) CreateRepo(ctx context.Context, name, description string) (tusk.Repo, error) {
	var r tusk.Repo
	err := c.call(ctx, http.MethodPost, "/v1/repos", nil, map[string]string{"name": name, "description": description}, &r)
	return r, err
}

// UpdateRepo sets a repo's description.
func (c *Client) UpdateRepo(ctx context.Context, name, description string) (tusk.Repo, error) {
	var r tusk.Repo
	err := c.call(ctx, http.MethodPatch, "/v1/repos/"+url.PathEscape(name), nil, map[string]string{"description": description}, &r)
	return r, err
}

// ListRepos lists repos.
func (c *Client) ListRepos(ctx context.Context) ([]tusk.Repo, error) {
	return collect[tusk.Repo](ctx, c, "/v1/repos", nil)
}

// ListAllRepos lists the repos of every project, by project and name.
func (c *Client) ListAllRepos(ctx context.Context) ([]tusk.Repo, error) {
	return collect[tusk.Repo](ctx, c, "/v1/repos", url.Values{"all_projects": {"true"}})
}

// InspectRepo describes a repo.
func (c *Client) InspectRepo(ctx context.Context, name string) (tusk.Repo, error) {
	var r tusk.Repo
	err := c.call(ctx, http.MethodGet, "/v1/repos/"+url.PathEscape(name), nil, nil, &r)
	return r, err
}

// DeleteRepo deletes a repo.
func (c *Client) DeleteRepo(ctx context.Context, name string, force bool) error {
	return c.call(ctx, http.MethodDelete, "/v1/repos/"+url.PathEscape(name), url.Values{"force": {strconv.FormatBool(force)}}, nil, nil)
}

// CreateBranch creates a branch or moves its head; provenance, when not
// nil, replaces the branch's upstream branches, and trigger, when not
// nil, its trigger.
func (c *Client) CreateBranch(ctx context.Context, repo, name, head string, provenance []tusk.BranchRef, trigger *tusk.Trigger) (tusk.Branch, error) {
	var b tusk.Branch
	req := map[string]any{"name": name, "head": head}
	if provenance != nil {
		req["provenance"] = provenance
	}
	if trigger != nil {
		req["trigger"] = trigger
	}
	err := c.call(ctx, http.MethodPost, "/v1/repos/"+url.PathEscape(repo)+"/branches", nil, req, &b)
	return b, err
}

// ListBranches lists a repo's branches.
func (c *Client) ListBranches(ctx context.Context, repo string) ([]tusk.Branch, error) {
	return collect[tusk.Branch](ctx, c, "/v1/repos/"+url.PathEscape(repo)+"/branches", nil)
}

// InspectBranch describes a branch.
func (c *Client) InspectBranch(ctx context.Context, repo, name string) (tusk.Branch, error) {
	var b tusk.Branch
	err := c.call(ctx, http.MethodGet, "/v1/repos/"+url.PathEscape(repo)+"/branches/"+url.PathEscape(name), nil, nil, &b)
	return b, err
}

// DeleteBranch deletes a branch.
func (c *Client) DeleteBranch(ctx context.Context, repo, name string, force bool) error {
	return c.call(ctx, http.MethodDelete, "/v1/repos/"+url.PathEscape(repo)+"/branches/"+url.PathEscape(name),
		url.Values{"force": {strconv.FormatBool(force)}}, nil, nil)
}

// StartCommit opens a commit on a branch.
func (c *Client) StartCommit(ctx context.Context, repo, branch, description string) (tusk.Commit, error) {
	var out tusk.Commit
	err := c.call(ctx, http.MethodPost, "/v1/commits/start", nil, map[string]string{"repo": repo, "branch": branch, "description": description}, &out)
	return out, err
}

// FinishCommit closes an open commit; errMsg marks it failed.
func (c *Client) FinishCommit(ctx context.Context, ref, description, errMsg string) (tusk.Commit, error) {
	var out tusk.Commit
	err := c.call(ctx, http.MethodPost, "/v1/commits/finish", nil, map[string]string{"ref": ref, "description": description, "error": errMsg}, &out)
	return out, err
}

// InspectCommit describes a commit ("repo@branch-or-id").
func (c *Client) InspectCommit(ctx context.Context, ref string) (tusk.Commit, error) {
	var out tusk.Commit
	err := c.call(ctx, http.MethodGet, "/v1/commits/inspect", url.Values{"ref": {ref}}, nil, &out)
	return out, err
}

// ListCommits lists commits newest first: the history of ref when it
// names a branch or commit ("repo@master"), else every commit of the repo
// ("repo"). after continues from the last commit of a previous page.
func (c *Client) ListCommits(ctx context.Context, repoOrRef, after string, limit int, fn func(tusk.Commit) error) error {
	q := url.Values{}
	if strings.Contains(repoOrRef, "@") {
		q.Set("ref", repoOrRef)
	} else {
		q.Set("repo", repoOrRef)
	}
	if after != "" {
		q.Set("after", after)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return stream(ctx, c, "/v1/commits", q, fn)
}

// CommitSet returns the commits of a commit set.
func (c *Client) CommitSet(ctx context.Context, id string) ([]tusk.Commit, error) {
	return collect[tusk.Commit](ctx, c, "/v1/commitsets/"+url.PathEscape(id), nil)
}

// WaitCommit blocks until a commit ("repo@…") or every commit of a commit
// set (a bare ID) is finished.
func (c *Client) WaitCommit(ctx context.Context, refOrID string) ([]tusk.Commit, error) {
	q := url.Values{"ref": {refOrID}}
	if !strings.Contains(refOrID, "@") {
		q = url.Values{"id": {refOrID}}
	}
	var out []tusk.Commit
	err := c.call(ctx, http.MethodGet, "/v1/commits/wait", q, nil, &out)
	return out, err
}

func refOrIDBody(refOrID string) map[string]string {
	if strings.Contains(refOrID, "@") {
		return map[string]string{"ref": refOrID}
	}
	return map[string]string{"id": refOrID}
}

// DeleteCommit drops a head commit (and the commits downstream of it in
// its commit set), or a whole commit set given its ID.
func (c *Client) DeleteCommit(ctx context.Context, refOrID string) ([]tusk.Commit, error) {
	var out []tusk.Commit
	err := c.call(ctx, http.MethodPost, "/v1/commits/delete", nil, refOrIDBody(refOrID), &out)
	return out, err
}

// SquashCommit folds a non-head commit into its children.
func (c *Client) SquashCommit(ctx context.Context, refOrID string) ([]tusk.Commit, error) {
	var out []tusk.Commit
	err := c.call(ctx, http.MethodPost, "/v1/commits/squash", nil, refOrIDBody(refOrID), &out)
	return out, err
}

// SubscribeCommits calls fn with every commit event the server pushes
// until ctx ends or fn returns an error.
func (c *Client) SubscribeCommits(ctx context.Context, fn func(tusk.CommitEvent) error) error {
	return stream(ctx, c, "/v1/events/commits", nil, fn)
}

// GetFile returns a reader of a file's content from offset on, and the
// file's full size.
func (c *Client) GetFile(ctx context.Context, ref string, offset int64) (io.ReadCloser, int64, error) {
	resp, err := c.do(ctx, http.MethodGet, "/v1/files/content", url.Values{"ref": {ref}, "offset": {strconv.FormatInt(offset, 10)}}, nil, "")
	if err != nil {
		return nil, 0, err
	}
	size, _ := strconv.ParseInt(resp.Header.Get("X-Tusk-File-Size"), 10, 64)
	return resp.Body, size, nil
}

// GetTar returns a tar stream of every file under a path.
func (c *Client) GetTar(ctx context.Context, ref string) (io.ReadCloser, error) {
	resp, err := c.do(ctx, http.MethodGet, "/v1/files/tar", url.Values{"ref": {ref}}, nil, "")
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// ListFiles streams the entries of a directory.
func (c *Client) ListFiles(ctx context.Context, ref, after string, limit int, fn func(tusk.FileInfo) error) error {
	q := url.Values{"ref": {ref}}
	if after != "" {
		q.Set("after", after)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return stream(ctx, c, "/v1/files/list", q, fn)
}

// WalkFiles streams every file under a path.
func (c *Client) WalkFiles(ctx context.Context, ref string, fn func(tusk.FileInfo) error) error {
	return stream(ctx, c, "/v1/files/walk", url.Values{"ref": {ref}}, fn)
}

// InspectFile describes a file or directory.
func (c *Client) InspectFile(ctx context.Context, ref string) (tusk.FileInfo, error) {
	var fi tusk.FileInfo
	err := c.call(ctx, http.MethodGet, "/v1/files/inspect", url.Values{"ref": {ref}}, nil, &fi)
	return fi, err
}

// GlobFiles streams the files and directories matching a pattern.
func (c *Client) GlobFiles(ctx context.Context, ref, pattern string, fn func(tusk.FileInfo) error) error {
	return stream(ctx, c, "/v1/files/glob", url.Values{"ref": {ref}, "pattern": {pattern}}, fn)
}

// DiffFiles streams the differences between two commits (old defaults to
// new's parent).
func (c *Client) DiffFiles(ctx context.Context, newRef, oldRef string, fn func(tusk.FileDiff) error) error {
	q := url.Values{"new": {newRef}}
	if oldRef != "" {
		q.Set("old", oldRef)
	}
	return stream(ctx, c, "/v1/files/diff", q, fn)
}

// GCStats is the result of a garbage collection.
type GCStats struct {
	Objects    int   `json:"objects"`
	BytesFreed int64 `json:"bytes_freed"`
	Live       int   `json:"live"`
	Repacked   int   `json:"repacked"` // packs less than half used whose live chunks moved into new ones
	DryRun     bool  `json:"dry_run"`
}

// GC runs a garbage collection.
func (c *Client) GC(ctx context.Context, dryRun bool) (GCStats, error) {
	var s GCStats
	err := c.call(ctx, http.MethodPost, "/v1/gc", url.Values{"dry_run": {strconv.FormatBool(dryRun)}}, nil, &s)
	return s, err
}

// FsckReport is the result of a store check.
type FsckReport struct {
	Commits int          `json:"commits"`
	Files   int64        `json:"files"`
	Chunks  int          `json:"chunks"`
	Packs   int          `json:"packs"`
	Damage  []FsckDamage `json:"damage"`
}

// FsckDamage is one problem a store check found.
type FsckDamage struct {
	Project string `json:"project"`
	Repo    string `json:"repo"`
	Commit  string `json:"commit"`
	Path    string `json:"path,omitempty"`
	Problem string `json:"problem"`
	Fixed   string `json:"fixed,omitempty"` // how fsck --fix mended it
}

// Fsck checks the store, and with fix mends what it can.
func (c *Client) Fsck(ctx context.Context, fix bool) (FsckReport, error) {
	var r FsckReport
	var q url.Values
	if fix {
		q = url.Values{"fix": {"true"}}
	}
	err := c.call(ctx, http.MethodPost, "/v1/fsck", q, nil, &r)
	return r, err
}
