package server

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

func (s *Server) ppsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/pipelines", s.createPipeline)
	mux.HandleFunc("GET /v1/pipelines", s.listPipelines)
	mux.HandleFunc("GET /v1/pipelines/{name}", s.inspectPipeline)
	mux.HandleFunc("GET /v1/pipelines/{name}/history", s.pipelineHistory)
	mux.HandleFunc("DELETE /v1/pipelines/{name}", s.deletePipeline)
	mux.HandleFunc("POST /v1/pipelines/{name}/{action}", s.pipelineAction)
	mux.HandleFunc("GET /v1/jobs", s.listJobs)
	mux.HandleFunc("GET /v1/jobs/wait", s.waitJob)
	mux.HandleFunc("GET /v1/jobs/{pipeline}/{id}", s.inspectJob)
	mux.HandleFunc("POST /v1/jobs/{pipeline}/{id}/stop", s.stopJob)
	mux.HandleFunc("DELETE /v1/jobs/{pipeline}/{id}", s.deleteJob)
	mux.HandleFunc("GET /v1/jobs/{pipeline}/{id}/datums", s.listDatums)
	mux.HandleFunc("GET /v1/jobs/{pipeline}/{id}/datums/{datum}", s.inspectDatum)
	mux.HandleFunc("POST /v1/jobs/{pipeline}/{id}/restart", s.restartDatum)
	mux.HandleFunc("POST /v1/datums/dry-run", s.dryRunDatums)
	mux.HandleFunc("GET /v1/logs", s.logs)
	mux.HandleFunc("POST /v1/workers/next", s.nextTask)
	mux.HandleFunc("POST /v1/workers/heartbeat", s.heartbeat)
	mux.HandleFunc("POST /v1/workers/done", s.taskDone)
	mux.HandleFunc("POST /v1/workers/logs", s.appendLogs)
}

func readSpecs(r *http.Request) ([]spec.Pipeline, error) {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, 16<<20))
	if err != nil {
		return nil, tusk.Errorf(tusk.KindInvalid, "read pipeline spec: %v", err)
	}
	ps, err := spec.Parse(data)
	if err != nil {
		return nil, tusk.Errorf(tusk.KindInvalid, "%v", err)
	}
	return ps, nil
}

func (s *Server) createPipeline(w http.ResponseWriter, r *http.Request) {
	ps, err := readSpecs(r)
	if err != nil {
		writeError(w, r, err)
		return
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
		info, err := s.pps.CreatePipeline(r.Context(), &ps[i], queryBool(r, "update"), queryBool(r, "reprocess"))
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
	replyList(w, r, ps, err)
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
	reply(w, r, struct{}{}, s.pps.DeletePipeline(r.Context(), r.PathValue("name"), queryBool(r, "keep_repo")))
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
	replyList(w, r, js, err)
}

func (s *Server) waitJob(w http.ResponseWriter, r *http.Request) {
	js, err := s.pps.WaitJob(r.Context(), r.URL.Query().Get("pipeline"), r.URL.Query().Get("id"))
	reply(w, r, js, err)
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
	t, err := s.pps.NextTask(r.Context(), r.URL.Query().Get("pipeline"), r.URL.Query().Get("worker"), wait)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if t == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, t)
}

func (s *Server) heartbeat(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Pipeline string `json:"pipeline"`
		Job      string `json:"job"`
		Datum    string `json:"datum"`
		Attempt  int    `json:"attempt"`
		Worker   string `json:"worker"`
	}
	if err := readJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	cancel, err := s.pps.Heartbeat(r.Context(), req.Pipeline, req.Job, req.Datum, req.Worker, req.Attempt)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, map[string]bool{"cancel": cancel})
}

func (s *Server) taskDone(w http.ResponseWriter, r *http.Request) {
	var res tusk.TaskResult
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&res); err != nil {
		writeError(w, r, tusk.Errorf(tusk.KindInvalid, "bad task result: %v", err))
		return
	}
	reply(w, r, struct{}{}, s.pps.Done(r.Context(), res))
}

func (s *Server) appendLogs(w http.ResponseWriter, r *http.Request) {
	var lines []tusk.LogLine
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<20)).Decode(&lines); err != nil {
		writeError(w, r, tusk.Errorf(tusk.KindInvalid, "bad log lines: %v", err))
		return
	}
	reply(w, r, struct{}{}, s.pps.AppendLogs(r.Context(), lines))
}
