package server

import (
	"net/http"

	"github.com/tuskdata/tusk/internal/console"
)

// An endpoint is one entry of the API: its pattern (as http.ServeMux takes
// it), its handler, and the most a request body may hold. Every route the
// server answers is in the list endpoints returns, so that checks that apply
// to all of them (body limits, and the tests that go over every route)
// cannot miss one.
type endpoint struct {
	pattern string
	handler http.Handler
	// maxBody bounds the request body: 0 means maxJSONBody, -1 no bound
	// (a stream applied as it is read).
	maxBody int64
}

// endpoints lists every endpoint of the server.
func (s *Server) endpoints() []endpoint {
	h := func(pattern string, f http.HandlerFunc) endpoint { return endpoint{pattern: pattern, handler: f} }
	return []endpoint{
		h("GET /healthz", s.healthz),
		{pattern: "GET /metrics", handler: s.metrics.handler()},
		h("GET /v1/info", s.info),

		h("POST /v1/repos", s.createRepo),
		h("GET /v1/repos", s.listRepos),
		h("GET /v1/repos/{repo}", s.inspectRepo),
		h("PATCH /v1/repos/{repo}", s.updateRepo),
		h("DELETE /v1/repos/{repo}", s.deleteRepo),
		h("POST /v1/repos/{repo}/branches", s.createBranch),
		h("GET /v1/repos/{repo}/branches", s.listBranches),
		h("GET /v1/repos/{repo}/branches/{branch}", s.inspectBranch),
		h("DELETE /v1/repos/{repo}/branches/{branch}", s.deleteBranch),

		h("POST /v1/commits/start", s.startCommit),
		h("POST /v1/commits/finish", s.finishCommit),
		h("GET /v1/commits/inspect", s.inspectCommit),
		h("GET /v1/commits", s.listCommits),
		h("GET /v1/commits/wait", s.waitCommit),
		h("POST /v1/commits/delete", s.deleteCommit),
		h("POST /v1/commits/squash", s.squashCommit),
		h("GET /v1/commitsets/{id}", s.commitSet),
		h("GET /v1/events/commits", s.commitEvents),

		h("POST /v1/chunks/missing", s.missingChunks),
		{pattern: "PUT /v1/chunks/{id}", handler: http.HandlerFunc(s.putChunk), maxBody: maxChunkBody},
		{pattern: "POST /v1/files/modify", handler: http.HandlerFunc(s.modifyFiles), maxBody: -1},
		h("GET /v1/files/content", s.getFile),
		h("GET /v1/files/tar", s.getTar),
		h("GET /v1/files/list", s.listFiles),
		h("GET /v1/files/walk", s.walkFiles),
		h("GET /v1/files/inspect", s.inspectFile),
		h("GET /v1/files/glob", s.globFiles),
		h("GET /v1/files/diff", s.diffFiles),

		h("POST /v1/gc", s.gc),
		h("POST /v1/fsck", s.fsck),

		h("POST /v1/pipelines", s.createPipeline),
		h("GET /v1/pipelines", s.listPipelines),
		h("GET /v1/pipelines/{name}", s.inspectPipeline),
		h("GET /v1/pipelines/{name}/history", s.pipelineHistory),
		h("DELETE /v1/pipelines/{name}", s.deletePipeline),
		h("POST /v1/pipelines/{name}/{action}", s.pipelineAction),
		h("GET /v1/jobs", s.listJobs),
		h("GET /v1/jobs/wait", s.waitJob),
		h("GET /v1/events/jobs", s.jobEvents),
		h("GET /v1/jobs/{pipeline}/{id}", s.inspectJob),
		h("POST /v1/jobs/{pipeline}/{id}/stop", s.stopJob),
		h("DELETE /v1/jobs/{pipeline}/{id}", s.deleteJob),
		h("GET /v1/jobs/{pipeline}/{id}/datums", s.listDatums),
		h("GET /v1/jobs/{pipeline}/{id}/datums/{datum}", s.inspectDatum),
		h("POST /v1/jobs/{pipeline}/{id}/restart", s.restartDatum),
		h("POST /v1/datums/dry-run", s.dryRunDatums),
		h("GET /v1/logs", s.logs),
		h("GET /v1/audit", s.auditLog),

		// The worker protocol. The results of a datum set are unbounded:
		// their list of output files grows with the set, and a refusal
		// would leave them unreported.
		h("POST /v1/workers/next", s.nextTask),
		h("POST /v1/workers/heartbeat", s.heartbeat),
		{pattern: "POST /v1/workers/done", handler: http.HandlerFunc(s.taskDone), maxBody: -1},
		h("POST /v1/workers/inputs", s.taskInputs),
		h("POST /v1/workers/logs", s.appendLogs),

		{pattern: "GET /", handler: console.Handler("unix://"+s.socket.Addr().String(), s.log)},
	}
}

// newHandler serves endpoints, each with its body limit, metrics and the
// checks of the browser guard, and records requests in the audit log.
func (s *Server) newHandler(endpoints []endpoint) http.Handler {
	mux := http.NewServeMux()
	for _, e := range endpoints {
		limit := e.maxBody
		if limit == 0 {
			limit = maxJSONBody
		}
		mux.Handle(e.pattern, s.metrics.wrap(e.pattern, s.browser.wrap(e.pattern, limitBody(limit, e.handler))))
	}
	if s.audit == nil {
		return mux
	}
	return s.audited(mux)
}
