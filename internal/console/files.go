package console

import (
	"fmt"
	"net/http"
	"path"
	"strings"

	"github.com/tuskdata/tusk/internal/tusk"
)

type filesData struct {
	Commit  tusk.Commit
	Path    string
	Trail   []crumb // the directories above Path
	Info    tusk.FileInfo
	Entries []tusk.FileInfo // of a directory
	Pager   pager
	Preview preview // of a file
}

// entryName is the last element of a listed path, with a slash after a
// directory's.
func entryName(p string) string {
	if strings.HasSuffix(p, "/") {
		return path.Base(p) + "/"
	}
	return path.Base(p)
}

// files browses a commit's files: a page of a directory's entries,
// continuing after ?after=, or a preview of a file.
func (c *console) files(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	cm, ok := c.inspectCommit(w, r)
	if !ok {
		return
	}
	d := filesData{Commit: cm, Path: path.Clean("/" + r.PathValue("path"))}
	ref := cm.Repo + "@" + cm.ID + ":" + d.Path
	var err error
	if d.Info, err = c.as(r).InspectFile(ctx, ref); err != nil {
		c.fail(w, r, fmt.Errorf("inspect file %s: %w", ref, err))
		return
	}
	d.Trail = []crumb{{cm.Repo + "@" + short(cm.ID), filesURL(cm.Repo, cm.ID, "/")}}
	for dir, p := "", strings.Split(strings.Trim(d.Path, "/"), "/"); len(p) > 1; p = p[1:] {
		dir += "/" + p[0]
		d.Trail = append(d.Trail, crumb{p[0], filesURL(cm.Repo, cm.ID, dir)})
	}
	if d.Info.Type == "dir" {
		after := r.URL.Query().Get("after")
		err = c.as(r).ListFiles(ctx, ref, after, pageSize+1, func(fi tusk.FileInfo) error {
			d.Entries = append(d.Entries, fi)
			return nil
		})
		if err != nil {
			c.fail(w, r, fmt.Errorf("list files %s: %w", ref, err))
			return
		}
		d.Entries, d.Pager = cursorPage(r, d.Entries, func(fi tusk.FileInfo) string { return fi.Path }, "First", "Next")
	} else if d.Preview, err = c.preview(r, ref, d.Info); err != nil {
		c.fail(w, r, fmt.Errorf("preview %s: %w", ref, err))
		return
	}
	c.render(w, r, "files", page{
		Title:  cm.Repo + "@" + short(cm.ID) + ":" + d.Path,
		Crumbs: []crumb{{"Home", "/"}, {cm.Repo, repoURL(cm.Repo)}, {"Commit " + short(cm.ID), commitURL(cm.Repo, cm.ID)}},
		Data:   d,
	})
}

// preview reads what the page shows of a file; images are left to the
// browser, through the raw route.
func (c *console) preview(r *http.Request, ref string, fi tusk.FileInfo) (preview, error) {
	if previewKind(fi.Path, nil) == kindImage {
		return preview{Kind: kindImage}, nil
	}
	rc, _, err := c.as(r).GetFile(r.Context(), ref, 0)
	if err != nil {
		return preview{}, err
	}
	defer rc.Close()
	return readPreview(fi.Path, fi.SizeBytes, rc)
}

// inspectCommit resolves the {repo} and {id} of a request (id may name a
// branch), showing an error page if it cannot.
func (c *console) inspectCommit(w http.ResponseWriter, r *http.Request) (tusk.Commit, bool) {
	ref := r.PathValue("repo") + "@" + r.PathValue("id")
	cm, err := c.as(r).InspectCommit(r.Context(), ref)
	if err != nil {
		c.fail(w, r, fmt.Errorf("inspect commit %s: %w", ref, err))
		return tusk.Commit{}, false
	}
	return cm, true
}
