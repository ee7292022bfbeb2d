package server

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/auth"
	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

func readSpecs(r *http.Request) ([]spec.Pipeline, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, bodyError(r, "read pipeline spec", err)
	}
	ps, err := spec.Parse(data)
	if err != nil {
		return nil, tusk.Errorf(tusk.KindInvalid, "%v", err)
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Pipeline.Name
	}
	noteArg(r, "pipeline", strings.Join(names, ","))
	return ps, nil
}

func (s *Server) createPipeline(w http.ResponseWriter, r *http.Request) {
	ps, err := readSpecs(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	for i := range ps {
		if err := s.authorizeSpec(r, &ps[i]); err != nil {
			writeError(w, r, err)
			return
		}
	}
	if queryBool(r, "dry_run") {
		for i := range ps {
			if err := s.pps.ValidatePipeline(r.Context(), &ps[i], queryBool(r, "update")); err != nil {
				writeError(w, r, err)
				return
			}
		}
		writeJSON(w, []tusk.PipelineInfo{})
		return
	}
	var out []tusk.PipelineInfo
	for i := range ps {
		// Validated first, so that a spec refused does not change the
		// roles of a pipeline it would have updated.
		err := s.pps.ValidatePipeline(r.Context(), &ps[i], queryBool(r, "update"))
		if err == nil {
			err = s.grantPipelineIdentity(r.Context(), &ps[i])
		}
		var info tusk.PipelineInfo
		if err == nil {
			info, err = s.pps.CreatePipeline(r.Context(), &ps[i], queryBool(r, "update"), queryBool(r, "reprocess"))
		}
		if err == nil {
			err = s.grantCreator(r.Context(), caller(r), &ps[i])
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		out = append(out, info)
	}
	writeJSON(w, out)
}

func (s *Server) listPipelines(w http.ResponseWriter, r *http.Request) {
	ps, err := s.pps.ListPipelines(r.Context())
	replyList(w, r, readable(r, ps, func(p tusk.PipelineInfo) string { return p.Name }), err)
}

func (s *Server) inspectPipeline(w http.ResponseWriter, r *http.Request) {
	p, err := s.pps.InspectPipeline(r.Context(), r.PathValue("name"))
	reply(w, r, p, err)
}

func (s *Server) pipelineHistory(w http.ResponseWriter, r *http.Request) {
	n, err := queryInt(r, "n")
	if err != nil {
		writeError(w, r, err)
		return
	}
	hs, err := s.pps.PipelineHistory(r.Context(), r.PathValue("name"), n)
	replyList(w, r, hs, err)
}

func (s *Server) deletePipeline(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	err := s.pps.DeletePipeline(r.Context(), name, queryBool(r, "keep_repo"))
	if err == nil {
		err = s.auth.Forget(r.Context(), auth.Pipeline(name))
	}
	reply(w, r, struct{}{}, err)
}

func (s *Server) pipelineAction(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var err error
	switch r.PathValue("action") {
	case "stop":
		err = s.pps.StopPipeline(r.Context(), name)
	case "start":
		err = s.pps.StartPipeline(r.Context(), name)
	case "rerun":
		err = s.pps.RerunPipeline(r.Context(), name, queryBool(r, "reprocess"))
	case "run-cron":
		err = s.pps.RunCron(r.Context(), name)
	default:
		err = tusk.Errorf(tusk.KindNotFound, "unknown pipeline action %q: want stop, start, rerun or run-cron", r.PathValue("action"))
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, struct{}{})
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request) {
	limit, err := queryInt(r, "limit")
	if err != nil {
		writeError(w, r, err)
		return
	}
	js, err := s.pps.ListJobs(r.Context(), r.URL.Query().Get("pipeline"), r.URL.Query().Get("id"), limit)
	replyList(w, r, readable(r, js, jobPipeline), err)
}

func (s *Server) waitJob(w http.ResponseWriter, r *http.Request) {
	js, err := s.pps.WaitJob(r.Context(), r.URL.Query().Get("pipeline"), r.URL.Query().Get("id"))
	reply(w, r, readable(r, js, jobPipeline), err)
}

func jobPipeline(j tusk.JobInfo) string { return j.Pipeline }

// jobEvents pushes the jobs whose state or progress changes as they do
// (newline-delimited tusk.JobEvent), until the client goes.
func (s *Server) jobEvents(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	st := newStream(w)
	events := make(chan tusk.JobEvent)
	done := make(chan error, 1)
	g := caller(r)
	go func() {
		done <- s.pps.WatchJobs(ctx, func(ev tusk.JobEvent) error {
			if ev.Job != nil && !g.Can(ev.Job.Pipeline, auth.Read) {
				return nil
			}
			select {
			case events <- ev:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	beat := time.NewTicker(15 * time.Second)
	defer beat.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			return
		case err := <-done:
			if ctx.Err() == nil {
				st.finish(r, err)
			}
			return
		case ev := <-events:
			err = st.send(ev)
		case <-beat.C:
			err = st.send(tusk.JobEvent{Type: "heartbeat"})
		}
		if err != nil {
			return
		}
		st.flush()
	}
}

func (s *Server) inspectJob(w http.ResponseWriter, r *http.Request) {
	j, err := s.pps.InspectJob(r.Context(), r.PathValue("pipeline"), r.PathValue("id"))
	reply(w, r, j, err)
}

func (s *Server) stopJob(w http.ResponseWriter, r *http.Request) {
	reply(w, r, struct{}{}, s.pps.StopJob(r.Context(), r.PathValue("pipeline"), r.PathValue("id")))
}

func (s *Server) deleteJob(w http.ResponseWriter, r *http.Request) {
	reply(w, r, struct{}{}, s.pps.DeleteJob(r.Context(), r.PathValue("pipeline"), r.PathValue("id")))
}

func (s *Server) listDatums(w http.ResponseWriter, r *http.Request) {
	offset, err := queryInt(r, "offset")
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
	err = s.pps.ListDatums(r.Context(), r.PathValue("pipeline"), r.PathValue("id"), r.URL.Query().Get("state"), offset, limit,
		func(d tusk.DatumInfo) error { return st.send(d) })
	st.finish(r, err)
}

func (s *Server) inspectDatum(w http.ResponseWriter, r *http.Request) {
	d, err := s.pps.InspectDatum(r.Context(), r.PathValue("pipeline"), r.PathValue("id"), r.PathValue("datum"))
	reply(w, r, d, err)
}

func (s *Server) restartDatum(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Match []string `json:"match"`
	}
	if err := readJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	n, err := s.pps.RestartDatum(r.Context(), r.PathValue("pipeline"), r.PathValue("id"), req.Match)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, map[string]int{"restarted": n})
}

func (s *Server) dryRunDatums(w http.ResponseWriter, r *http.Request) {
	ps, err := readSpecs(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if len(ps) != 1 {
		writeError(w, r, tusk.Errorf(tusk.KindInvalid, "give one pipeline spec, not %d", len(ps)))
		return
	}
	if err := s.authorizeSpec(r, &ps[0]); err != nil {
		writeError(w, r, err)
		return
	}
	st := newStream(w)
	err = s.pps.DryRunDatums(r.Context(), &ps[0], func(d tusk.DatumInfo) error { return st.send(d) })
	st.finish(r, err)
}

// logs streams stored lines, then, with follow, new ones as they arrive.
func (s *Server) logs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	pipeline, job, datum := q.Get("pipeline"), q.Get("job"), q.Get("datum")
	follow := queryBool(r, "follow")
	st := newStream(w)
	sent := map[string]int{} // lines sent per job/datum
	for {
		signal := s.pps.LogSignal(pipeline)
		lines, err := s.pps.Logs(r.Context(), pipeline, job, datum)
		if err != nil {
			st.finish(r, err)
			return
		}
		seen := map[string]int{}
		for _, l := range lines {
			key := l.Job + "/" + l.Datum
			seen[key]++
			if seen[key] <= sent[key] {
				continue
			}
			sent[key]++
			if st.send(l) != nil {
				return
			}
		}
		if !follow {
			st.finish(r, nil)
			return
		}
		st.flush()
		select {
		case <-r.Context().Done():
			return
		case <-signal:
		case <-time.After(15 * time.Second):
		}
	}
}

func (s *Server) nextTask(w http.ResponseWriter, r *http.Request) {
	wait, err := time.ParseDuration(r.URL.Query().Get("wait"))
	if err != nil || wait > time.Minute {
		wait = 30 * time.Second
	}
	ts, err := s.pps.NextTasks(r.Context(), r.URL.Query().Get("pipeline"), r.URL.Query().Get("worker"), wait)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if len(ts) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, ts)
}

func (s *Server) heartbeat(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Pipeline string         `json:"pipeline"`
		Job      string         `json:"job"`
		Worker   string         `json:"worker"`
		Claims   map[string]int `json:"claims"` // datum ID → claim
	}
	if err := readJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	cancel, err := s.pps.Heartbeat(r.Context(), req.Pipeline, req.Job, req.Worker, req.Claims)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, map[string][]string{"cancel": cancel})
}

func (s *Server) taskDone(w http.ResponseWriter, r *http.Request) {
	var res []tusk.TaskResult
	if err := json.NewDecoder(r.Body).Decode(&res); err != nil {
		writeError(w, r, tusk.Errorf(tusk.KindInvalid, "bad task results: %v", err))
		return
	}
	reply(w, r, struct{}{}, s.pps.Done(r.Context(), res))
}

// taskInputs streams the inputs of datums as one tar archive: for the k-th
// datum an entry "k/", then its files as "k/<input name><path>" (empty
// with empty_files), and an entry "end" that closes the archive, so that
// one cut short cannot pass for one that is whole. If an input cannot be
// read (its repo was deleted, say), an entry "error" holding why (JSON:
// kind, message) closes the archive instead: the worker then knows the
// input, not the connection, failed. Datums follow in order
// as long as they fit whole within a budget of bytes and files, which
// bounds what a worker holds until their turn; with force_first, the
// first one is sent whatever its size (the worker writes it straight into
// place).
func (s *Server) taskInputs(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Datums      [][]tusk.DatumInput `json:"datums"`
		BudgetBytes int64               `json:"budget_bytes"`
		BudgetFiles int                 `json:"budget_files"`
		ForceFirst  bool                `json:"force_first"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, r, tusk.Errorf(tusk.KindInvalid, "bad datum inputs: %v", err))
		return
	}
	refs := make([][]tusk.Ref, len(req.Datums))
	for k, ins := range req.Datums {
		for _, in := range ins {
			p := strings.TrimSuffix(in.Path, "/")
			if p == "" {
				p = "/"
			}
			ref, err := tusk.ParseRef(in.Repo + "@" + in.Commit + ":" + p)
			if err == nil && (in.Name == "" || strings.Contains(in.Name, "/") || in.Name == "." || in.Name == "..") {
				err = tusk.Errorf(tusk.KindInvalid, "bad input name %q", in.Name)
			}
			if err != nil {
				writeError(w, r, err)
				return
			}
			refs[k] = append(refs[k], ref)
		}
	}
	w.Header().Set("Content-Type", "application/x-tar")
	tw := tar.NewWriter(w)
	b := inputBudget{bytes: req.BudgetBytes, files: req.BudgetFiles}
	err := s.writeInputs(r.Context(), tw, req.Datums, refs, &b, req.ForceFirst)
	var readErr inputReadError
	if errors.As(err, &readErr) {
		err = writeInputError(tw, readErr.err)
	} else if err == nil {
		err = tw.WriteHeader(&tar.Header{Name: "end", Mode: 0o644, Typeflag: tar.TypeReg, Format: tar.FormatPAX})
	}
	if err == nil {
		err = tw.Close()
	}
	if err != nil {
		// The archive ends without its "end": the worker sees it cut.
		s.log.Warn("send datum inputs interrupted", "err", err)
	}
}

// inputReadError is an input that could not be read, as opposed to an
// archive that could not be written.
type inputReadError struct{ err error }

func (e inputReadError) Error() string { return e.err.Error() }

// writeInputError closes an archive of inputs with an "error" entry that
// says why an input could not be read.
func writeInputError(tw *tar.Writer, cause error) error {
	b, err := json.Marshal(map[string]string{"kind": string(tusk.KindOf(cause)), "message": cause.Error()})
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: "error", Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
		return err
	}
	_, err = tw.Write(b)
	return err
}

// inputBudget is what is left of the budget of a taskInputs request.
type inputBudget struct {
	bytes int64
	files int
}

var errOverBudget = errors.New("over budget")

// writeInputs writes the datums of taskInputs, refs being their inputs
// parsed.
func (s *Server) writeInputs(ctx context.Context, tw *tar.Writer, datums [][]tusk.DatumInput, refs [][]tusk.Ref, b *inputBudget, forceFirst bool) error {
	for k, ins := range datums {
		// Datums are listed first, to see if they fit.
		force := k == 0 && forceFirst
		var files [][]fileset.File
		if !force {
			files = make([][]fileset.File, len(ins))
			for i, in := range ins {
				err := s.pfs.WalkFiles(ctx, refs[k][i], func(f fileset.File) error {
					if !in.EmptyFiles {
						b.bytes -= f.Size
					}
					if b.files--; b.bytes < 0 || b.files < 0 {
						return errOverBudget
					}
					files[i] = append(files[i], f)
					return nil
				})
				if err == errOverBudget {
					return nil
				}
				if err != nil {
					return inputReadError{fmt.Errorf("input %s (%s@%s:%s): %w", in.Name, in.Repo, in.Commit, in.Path, err)}
				}
			}
		}
		dir := strconv.Itoa(k) + "/"
		if err := tw.WriteHeader(&tar.Header{Name: dir, Mode: 0o755, Typeflag: tar.TypeDir, Format: tar.FormatPAX}); err != nil {
			return err
		}
		for i, in := range ins {
			put := func(f fileset.File) error {
				size := f.Size
				if in.EmptyFiles {
					size = 0
				}
				hdr := &tar.Header{Name: dir + in.Name + f.Path, Mode: 0o644, Size: size, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
				if err := tw.WriteHeader(hdr); err != nil {
					return fmt.Errorf("%w: %w", errWrite, err)
				}
				if size == 0 {
					return nil
				}
				cw := &countingWriter{w: tw}
				_, err := io.Copy(cw, s.pfs.Content(ctx, f, 0))
				s.metrics.bytesOut.Add(float64(cw.n))
				switch {
				case err == nil:
					return nil
				case cw.err != nil:
					return fmt.Errorf("%w: %w", errWrite, err)
				}
				// The content, not the connection, failed: fill the entry
				// so that an "error" entry may follow it.
				if _, err := io.CopyN(tw, zeros{}, size-cw.n); err != nil {
					return fmt.Errorf("%w: %w", errWrite, err)
				}
				return inputReadError{fmt.Errorf("%s: %w", f.Path, err)}
			}
			var err error
			if force {
				err = s.pfs.WalkFiles(ctx, refs[k][i], func(f fileset.File) error {
					if !in.EmptyFiles {
						b.bytes -= f.Size
					}
					b.files--
					return put(f)
				})
			} else {
				for _, f := range files[i] {
					if err = put(f); err != nil {
						break
					}
				}
			}
			var readErr inputReadError
			switch {
			case errors.As(err, &readErr):
				return inputReadError{fmt.Errorf("input %s (%s@%s:%s): %w", in.Name, in.Repo, in.Commit, in.Path, readErr.err)}
			case err != nil && force && !errors.Is(err, errWrite):
				// The listing of the input failed, not a write.
				return inputReadError{fmt.Errorf("input %s (%s@%s:%s): %w", in.Name, in.Repo, in.Commit, in.Path, err)}
			case err != nil:
				return fmt.Errorf("input %s of datum %d: %w", in.Name, k, err)
			}
		}
	}
	return nil
}

// errWrite marks a failure to write the archive (the worker went away).
var errWrite = errors.New("write datum inputs")

// countingWriter counts what it writes, and keeps the first write error.
type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}

// zeros reads as endless zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func (s *Server) appendLogs(w http.ResponseWriter, r *http.Request) {
	var lines []tusk.LogLine
	if err := json.NewDecoder(r.Body).Decode(&lines); err != nil {
		writeError(w, r, bodyError(r, "bad log lines", err))
		return
	}
	reply(w, r, struct{}{}, s.pps.AppendLogs(r.Context(), lines))
}
