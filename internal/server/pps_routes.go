package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/auth"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

// readSpecs reads the pipeline specs of a request, laid over the
// cluster's pipeline defaults.
func (s *Server) readSpecs(r *http.Request) ([]spec.Pipeline, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, bodyError(r, "read pipeline spec", err)
	}
	defaults, err := s.pps.Defaults(r.Context())
	if err != nil {
		return nil, err
	}
	ps, err := spec.ParseWithDefaults(data, defaults)
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
	ps, err := s.readSpecs(r)
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
	if id := r.Header.Get(tusk.TxnHeader); id != "" {
		s.recordPipelines(w, r, id, ps)
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
		err = s.sched.RunCron(r.Context(), name)
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
	n, err := s.sched.RestartDatum(r.Context(), r.PathValue("pipeline"), r.PathValue("id"), req.Match)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, map[string]int{"restarted": n})
}

func (s *Server) dryRunDatums(w http.ResponseWriter, r *http.Request) {
	ps, err := s.readSpecs(r)
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
	err = s.pps.DryRunDatums(r.Context(), &ps[0], queryBool(r, "reprocess"), func(d tusk.DatumInfo) error { return st.send(d) })
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
	ts, err := s.sched.NextTasks(r.Context(), r.URL.Query().Get("pipeline"), r.URL.Query().Get("worker"), wait)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if len(ts) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err := s.addSecretEnv(r.Context(), ts); err != nil {
		writeError(w, r, err)
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
	cancel, err := s.sched.Heartbeat(r.Context(), req.Pipeline, req.Job, req.Worker, req.Claims)
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
	reply(w, r, struct{}{}, s.sched.Done(r.Context(), res))
}

// taskInputs streams the inputs of datums as one tar archive, in the
// layout of pps.InputsArchive. An archive cut short (the worker went
// away, a write failed) lacks its "end" entry, which the worker sees.
func (s *Server) taskInputs(w http.ResponseWriter, r *http.Request) {
	var req tusk.TaskInputsRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, r, tusk.Errorf(tusk.KindInvalid, "bad datum inputs: %v", err))
		return
	}
	archive, err := s.pps.TaskInputs(req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-tar")
	n, err := archive.Write(r.Context(), w)
	s.metrics.bytesOut.Add(float64(n))
	if err != nil {
		s.log.Warn("send datum inputs interrupted", "err", err)
	}
}

func (s *Server) appendLogs(w http.ResponseWriter, r *http.Request) {
	var lines []tusk.LogLine
	if err := json.NewDecoder(r.Body).Decode(&lines); err != nil {
		writeError(w, r, bodyError(r, "bad log lines", err))
		return
	}
	if err := s.redactLogs(r.Context(), lines); err != nil {
		writeError(w, r, err)
		return
	}
	reply(w, r, struct{}{}, s.pps.AppendLogs(r.Context(), lines))
}

func (s *Server) inspectDefaults(w http.ResponseWriter, r *http.Request) {
	d, err := s.pps.Defaults(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	if d == nil {
		d = spec.Defaults{}
	}
	writeJSON(w, map[string]any{"create_pipeline_request": d})
}

func (s *Server) setDefaults(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, r, bodyError(r, "read pipeline defaults", err))
		return
	}
	d, err := spec.ParseDefaults(data)
	if err != nil {
		writeError(w, r, err)
		return
	}
	reply(w, r, struct{}{}, s.pps.SetDefaults(r.Context(), d))
}

func (s *Server) deleteDefaults(w http.ResponseWriter, r *http.Request) {
	reply(w, r, struct{}{}, s.pps.SetDefaults(r.Context(), nil))
}
