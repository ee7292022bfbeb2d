package console

import (
	"fmt"
	"net/http"
	"path"
	"strconv"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

// lineageDepths are the depths the lineage page offers besides all.
var lineageDepths = []int{1, 2, 3}

type lineageData struct {
	Root   *client.LineageNode
	Depths []filter
}

// lineage shows where a file came from: the job and datum that wrote it
// and, nested, its inputs, upstream to the commits users made, or ?depth=
// pipelines up (the tree `tusk lineage file` prints).
func (c *console) lineage(w http.ResponseWriter, r *http.Request) {
	cm, ok := c.inspectCommit(w, r)
	if !ok {
		return
	}
	p := path.Clean("/" + r.PathValue("path"))
	depth := 0
	if s := r.URL.Query().Get("depth"); s != "" {
		var err error
		if depth, err = strconv.Atoi(s); err != nil || depth < 0 {
			c.fail(w, r, tusk.Errorf(tusk.KindInvalid, "depth %q: want a positive number of pipelines, or 0 for all", s))
			return
		}
	}
	root, err := c.as(r).Lineage(r.Context(), cm.Repo, cm.ID, p, depth)
	if err != nil {
		c.fail(w, r, fmt.Errorf("lineage of %s@%s:%s: %w", cm.Repo, cm.ID, p, err))
		return
	}
	here := lineageURL(cm.Repo, cm.ID, p)
	d := lineageData{Root: root, Depths: []filter{{Label: "All", URL: here, Current: depth == 0}}}
	for _, n := range lineageDepths {
		d.Depths = append(d.Depths, filter{Label: strconv.Itoa(n), URL: here + "?depth=" + strconv.Itoa(n), Current: depth == n})
	}
	c.render(w, r, "lineage", page{
		Title:  "Lineage of " + cm.Repo + "@" + short(cm.ID) + ":" + p,
		Crumbs: []crumb{{"Home", "/"}, {cm.Repo, repoURL(cm.Repo)}, {"Commit " + short(cm.ID), commitURL(cm.Repo, cm.ID)}, {"File", filesURL(cm.Repo, cm.ID, p)}},
		Data:   d,
	})
}
