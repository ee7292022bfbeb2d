package server

import (
	"archive/tar"
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/auth"
	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// ref parses the reference in a query parameter.
func refParam(r *http.Request, name string) (tusk.Ref, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return tusk.Ref{}, tusk.Errorf(tusk.KindInvalid, "missing query parameter %q", name)
	}
	return parseRef(r, v)
}

// refOrID reads "ref" (repo@…, of the project of r) or "id" (a commit
// set) from a request.
func refOrID(r *http.Request, ref, id string) (*tusk.Ref, string, error) {
	switch {
	case ref != "":
		p, err := parseRef(r, ref)
		return &p, "", err
	case tusk.IsCommitID(id):
		return nil, id, nil
	}
	return nil, "", tusk.Errorf(tusk.KindInvalid, "give a commit as repo@branch-or-id, or a commit set ID (32 hex digits)")
}

// named is the body of a request that creates something with a name and
// a description (a repo, a project).
type named struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

func (s *Server) createRepo(w http.ResponseWriter, r *http.Request) {
	var req named
	if err := readJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if s.record(w, r, tusk.TxnRequest{Project: txnProject(r), CreateRepo: &tusk.CreateRepoRequest{Name: req.Name, Description: req.Description}}) {
		return
	}
	repo, err := s.pfs.CreateRepo(r.Context(), projectOf(r), req.Name, req.Description)
	if err == nil {
		err = s.makeOwner(r.Context(), caller(r).Subject, auth.Repo(repo.Project, repo.Name))
	}
	reply(w, r, repo, err)
}

// makeOwner makes subject the owner of a repo they created.
func (s *Server) makeOwner(ctx context.Context, subject string, repo meta.Resource) error {
	if subject == "" {
		return nil
	}
	if err := s.auth.SetRoles(ctx, repo, subject, []string{auth.RepoOwner}); err != nil {
		return fmt.Errorf("repo %s was made, but making %s its owner failed: %w", auth.RepoKey(repo.Project, repo.Name), subject, err)
	}
	return nil
}

func (s *Server) updateRepo(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Description string `json:"description"`
	}
	if err := readJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.pfs.UpdateRepo(r.Context(), projectOf(r), r.PathValue("repo"), req.Description); err != nil {
		writeError(w, r, err)
		return
	}
	s.inspectRepo(w, r)
}

// listRepos lists the repos of the request's project, or of every
// project with all_projects.
func (s *Server) listRepos(w http.ResponseWriter, r *http.Request) {
	project := projectOf(r)
	if queryBool(r, "all_projects") {
		project = ""
	}
	repos, err := s.pfs.ListRepos(r.Context(), project)
	replyList(w, r, readable(r, repos, func(r tusk.Repo) string { return auth.RepoKey(r.Project, r.Name) }), err)
}

func (s *Server) inspectRepo(w http.ResponseWriter, r *http.Request) {
	repo, err := s.pfs.InspectRepo(r.Context(), projectOf(r), r.PathValue("repo"))
	reply(w, r, repo, err)
}

func (s *Server) deleteRepo(w http.ResponseWriter, r *http.Request) {
	name, project := r.PathValue("repo"), projectOf(r)
	if _, err := s.pps.InspectPipeline(r.Context(), name); err == nil && project == tusk.DefaultProject && !queryBool(r, "force") {
		writeError(w, r, tusk.Errorf(tusk.KindConflict, "repo %q is the output of pipeline %q", name, name).
			WithHint("delete the pipeline instead: tusk delete pipeline %s", name))
		return
	}
	reply(w, r, struct{}{}, s.pfs.DeleteRepo(r.Context(), project, name, queryBool(r, "force")))
}

func (s *Server) createBranch(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name       string           `json:"name"`
		Head       string           `json:"head"`
		Provenance []tusk.BranchRef `json:"provenance"`
		Trigger    *tusk.Trigger    `json:"trigger"`
	}
	if err := readJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	for _, p := range req.Provenance {
		if err := require(r, auth.RepoKey(p.In(projectOf(r)).Project, p.Repo), auth.Read); err != nil {
			writeError(w, r, err)
			return
		}
	}
	if s.record(w, r, tusk.TxnRequest{Project: txnProject(r), CreateBranch: &tusk.CreateBranchRequest{Repo: r.PathValue("repo"), Name: req.Name, Head: req.Head, Provenance: req.Provenance, Trigger: req.Trigger}}) {
		return
	}
	b, err := s.pfs.CreateBranch(r.Context(), projectOf(r), r.PathValue("repo"), req.Name, req.Head, req.Provenance, req.Trigger)
	reply(w, r, b, err)
}

func (s *Server) listBranches(w http.ResponseWriter, r *http.Request) {
	bs, err := s.pfs.ListBranches(r.Context(), projectOf(r), r.PathValue("repo"))
	replyList(w, r, bs, err)
}

func (s *Server) inspectBranch(w http.ResponseWriter, r *http.Request) {
	b, err := s.pfs.InspectBranch(r.Context(), projectOf(r), r.PathValue("repo"), r.PathValue("branch"))
	reply(w, r, b, err)
}

func (s *Server) deleteBranch(w http.ResponseWriter, r *http.Request) {
	if s.record(w, r, tusk.TxnRequest{Project: txnProject(r), DeleteBranch: &tusk.DeleteBranchRequest{Repo: r.PathValue("repo"), Name: r.PathValue("branch"), Force: queryBool(r, "force")}}) {
		return
	}
	reply(w, r, struct{}{}, s.pfs.DeleteBranch(r.Context(), projectOf(r), r.PathValue("repo"), r.PathValue("branch"), queryBool(r, "force")))
}

func (s *Server) startCommit(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Repo        string `json:"repo"`
		Branch      string `json:"branch"`
		Description string `json:"description"`
	}
	if err := readJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if s.record(w, r, tusk.TxnRequest{Project: txnProject(r), StartCommit: &tusk.StartCommitRequest{Repo: req.Repo, Branch: req.Branch, Description: req.Description}}) {
		return
	}
	c, err := s.pfs.StartCommit(r.Context(), projectOf(r), req.Repo, req.Branch, req.Description)
	reply(w, r, c, err)
}

func (s *Server) finishCommit(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Ref         string `json:"ref"`
		Description string `json:"description"`
		Error       string `json:"error"`
	}
	if err := readJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	ref, err := parseRef(r, req.Ref)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if req.Error != "" && r.Header.Get(tusk.TxnHeader) != "" {
		writeError(w, r, tusk.Errorf(tusk.KindInvalid, "a transaction does not record finish commit with an error"))
		return
	}
	if s.record(w, r, tusk.TxnRequest{Project: txnProject(r), FinishCommit: &tusk.FinishCommitRequest{Ref: req.Ref, Description: req.Description}}) {
		return
	}
	c, err := s.pfs.FinishCommit(r.Context(), ref, req.Description, req.Error)
	reply(w, r, c, err)
}

func (s *Server) inspectCommit(w http.ResponseWriter, r *http.Request) {
	ref, err := refParam(r, "ref")
	if err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.pfs.InspectCommit(r.Context(), ref)
	reply(w, r, c, err)
}

func (s *Server) listCommits(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := queryInt(r, "limit")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var ref *tusk.Ref
	repo := q.Get("repo")
	if v := q.Get("ref"); v != "" {
		p, err := parseRef(r, v)
		if err != nil {
			writeError(w, r, err)
			return
		}
		ref, repo = &p, p.Repo
	}
	cs, err := s.pfs.ListCommits(r.Context(), projectOf(r), repo, ref, q.Get("after"), limit)
	replyList(w, r, cs, err)
}

func (s *Server) commitSet(w http.ResponseWriter, r *http.Request) {
	cs, err := s.pfs.CommitSet(r.Context(), r.PathValue("id"))
	replyList(w, r, cs, err)
}

func (s *Server) waitCommit(w http.ResponseWriter, r *http.Request) {
	ref, id, err := refOrID(r, r.URL.Query().Get("ref"), r.URL.Query().Get("id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	cs, err := s.pfs.WaitCommit(r.Context(), ref, id)
	reply(w, r, cs, err)
}

func (s *Server) commitOp(w http.ResponseWriter, r *http.Request, op func(*tusk.Ref, string) ([]tusk.Commit, error)) {
	var req struct {
		Ref string `json:"ref"`
		ID  string `json:"id"`
	}
	if err := readJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	ref, id, err := refOrID(r, req.Ref, req.ID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	cs, err := op(ref, id)
	reply(w, r, cs, err)
}

func (s *Server) deleteCommit(w http.ResponseWriter, r *http.Request) {
	s.commitOp(w, r, func(ref *tusk.Ref, id string) ([]tusk.Commit, error) { return s.pfs.DeleteCommit(r.Context(), ref, id) })
}

func (s *Server) squashCommit(w http.ResponseWriter, r *http.Request) {
	s.commitOp(w, r, func(ref *tusk.Ref, id string) ([]tusk.Commit, error) { return s.pfs.SquashCommit(r.Context(), ref, id) })
}

// commitEvents pushes commit events as they happen (newline-delimited
// JSON), with a heartbeat so proxies keep the connection open.
func (s *Server) commitEvents(w http.ResponseWriter, r *http.Request) {
	g := caller(r)
	events, stop := s.pfs.Subscribe()
	defer stop()
	st := newStream(w)
	st.send(tusk.CommitEvent{Type: "subscribed"})
	st.flush()
	beat := time.NewTicker(15 * time.Second)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case ev := <-events:
			if !g.Can(auth.RepoKey(ev.Commit.Project, ev.Commit.Repo), auth.Read) {
				continue
			}
			if st.send(ev) != nil {
				return
			}
		case <-beat.C:
			if st.send(tusk.CommitEvent{Type: "heartbeat"}) != nil {
				return
			}
		}
		st.flush()
	}
}

func (s *Server) missingChunks(w http.ResponseWriter, r *http.Request) {
	var req struct {
		IDs []string `json:"ids"`
	}
	if err := readJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	missing, err := s.pfs.MissingChunks(r.Context(), req.IDs)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, map[string][]string{"missing": missing})
}

func (s *Server) putChunk(w http.ResponseWriter, r *http.Request) {
	data, release, err := readBody(r, maxChunkBody, s.pfs.ChunkParams().MaxSize+1)
	if err != nil {
		writeError(w, r, bodyError(r, "read chunk", err))
		return
	}
	// PutChunk keeps nothing of data once it returns.
	err = s.pfs.PutChunk(r.Context(), r.PathValue("id"), data)
	release()
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.metrics.bytesIn.Add(float64(len(data)))
	writeJSON(w, struct{}{})
}

func (s *Server) modifyFiles(w http.ResponseWriter, r *http.Request) {
	ref, err := refParam(r, "ref")
	if err != nil {
		writeError(w, r, err)
		return
	}
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	n := 0
	next := func() (tusk.FileOp, bool, error) {
		for sc.Scan() {
			if len(sc.Bytes()) == 0 {
				continue
			}
			n++
			var op tusk.FileOp
			if err := json.Unmarshal(sc.Bytes(), &op); err != nil {
				return op, false, tusk.Errorf(tusk.KindInvalid, "file operation %d: %v", n, err)
			}
			return op, true, nil
		}
		if err := sc.Err(); err != nil {
			return tusk.FileOp{}, false, tusk.Errorf(tusk.KindInvalid, "read file operations: %v", err)
		}
		return tusk.FileOp{}, false, nil
	}
	c, err := s.pfs.ModifyStream(r.Context(), ref, next)
	reply(w, r, c, err)
}

func (s *Server) getFile(w http.ResponseWriter, r *http.Request) {
	ref, err := refParam(r, "ref")
	if err != nil {
		writeError(w, r, err)
		return
	}
	offset, err := queryInt(r, "offset")
	if err != nil {
		writeError(w, r, err)
		return
	}
	rd, info, err := s.pfs.OpenFile(r.Context(), ref, int64(offset))
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(info.SizeBytes-int64(offset), 10))
	w.Header().Set("X-Tusk-File-Size", strconv.FormatInt(info.SizeBytes, 10))
	w.Header().Set("X-Tusk-File-Hash", info.Hash)
	n, err := io.Copy(w, rd)
	s.metrics.bytesOut.Add(float64(n))
	if err != nil {
		s.log.Warn("get file interrupted", "ref", ref.String(), "path", ref.Path, "err", err)
	}
}

// getTar streams every file under a path as a tar archive with paths
// relative to it.
func (s *Server) getTar(w http.ResponseWriter, r *http.Request) {
	ref, err := refParam(r, "ref")
	if err != nil {
		writeError(w, r, err)
		return
	}
	if _, err := s.pfs.InspectFile(r.Context(), ref); err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-tar")
	tw := tar.NewWriter(w)
	err = s.pfs.WalkFiles(r.Context(), ref, func(f fileset.File) error {
		var name string
		switch {
		case f.Path == ref.Path:
			name = path.Base(f.Path)
		case ref.Path != "/":
			name = strings.TrimPrefix(f.Path, ref.Path+"/")
		default:
			name = strings.TrimPrefix(f.Path, "/")
		}
		hdr := &tar.Header{Name: name, Mode: 0o644, Size: f.Size, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		n, err := io.Copy(tw, s.pfs.Content(r.Context(), f, 0))
		s.metrics.bytesOut.Add(float64(n))
		return err
	})
	if err == nil {
		err = tw.Close()
	}
	if err != nil {
		s.log.Warn("get tar interrupted", "ref", ref.String(), "err", err)
	}
}

func (s *Server) listFiles(w http.ResponseWriter, r *http.Request) {
	ref, err := refParam(r, "ref")
	if err != nil {
		writeError(w, r, err)
		return
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		writeError(w, r, err)
		return
	}
	st := newStream(w)
	n := 0
	err = s.pfs.ListFiles(r.Context(), ref, r.URL.Query().Get("after"), func(fi tusk.FileInfo) error {
		if limit > 0 && n == limit {
			return errStop
		}
		n++
		return st.send(fi)
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	st.finish(r, err)
}

var errStop = errors.New("stop")

func (s *Server) walkFiles(w http.ResponseWriter, r *http.Request) {
	ref, err := refParam(r, "ref")
	if err != nil {
		writeError(w, r, err)
		return
	}
	st := newStream(w)
	err = s.pfs.WalkFiles(r.Context(), ref, func(f fileset.File) error {
		return st.send(tusk.FileInfo{Path: f.Path, Type: "file", SizeBytes: f.Size, Hash: f.Hash})
	})
	st.finish(r, err)
}

func (s *Server) inspectFile(w http.ResponseWriter, r *http.Request) {
	ref, err := refParam(r, "ref")
	if err != nil {
		writeError(w, r, err)
		return
	}
	fi, err := s.pfs.InspectFile(r.Context(), ref)
	reply(w, r, fi, err)
}

func (s *Server) globFiles(w http.ResponseWriter, r *http.Request) {
	ref, err := refParam(r, "ref")
	if err != nil {
		writeError(w, r, err)
		return
	}
	st := newStream(w)
	err = s.pfs.GlobFiles(r.Context(), ref, r.URL.Query().Get("pattern"), func(fi tusk.FileInfo) error { return st.send(fi) })
	st.finish(r, err)
}

func (s *Server) diffFiles(w http.ResponseWriter, r *http.Request) {
	newRef, err := refParam(r, "new")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var oldRef *tusk.Ref
	if v := r.URL.Query().Get("old"); v != "" {
		o, err := parseRef(r, v)
		if err != nil {
			writeError(w, r, err)
			return
		}
		oldRef = &o
	}
	st := newStream(w)
	err = s.pfs.DiffFiles(r.Context(), newRef, oldRef, func(d tusk.FileDiff) error { return st.send(d) })
	st.finish(r, err)
}

func (s *Server) gc(w http.ResponseWriter, r *http.Request) {
	stats, err := s.pfs.GC(r.Context(), queryBool(r, "dry_run"))
	reply(w, r, stats, err)
}

func (s *Server) fsck(w http.ResponseWriter, r *http.Request) {
	rep, err := s.pfs.Fsck(r.Context(), queryBool(r, "fix"))
	if err != nil {
		writeError(w, r, fmt.Errorf("fsck: %w", err))
		return
	}
	writeJSON(w, rep)
}
