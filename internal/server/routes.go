package server

import (
	"net/http"

	"github.com/tuskdata/tusk/internal/console"
)

// An endpoint is one entry of the API: its pattern (as http.ServeMux takes
// it), the permission a caller needs, its handler, and the most a request
// body may hold. Every route the server answers is in the list endpoints
// returns, so that checks that apply to all of them (permissions, body
// limits, and the tests that go over every route) cannot miss one.
type endpoint struct {
	pattern string
	access  access
	handler http.Handler
	// maxBody bounds the request body: 0 means maxJSONBody, -1 no bound
	// (a stream applied as it is read).
	maxBody int64
}

// endpoints lists every endpoint of the server.
func (s *Server) endpoints() []endpoint {
	h := func(pattern string, a access, f http.HandlerFunc) endpoint {
		return endpoint{pattern: pattern, access: a, handler: f}
	}
	repo, pipeline := inPath("repo"), inPath("name")
	return []endpoint{
		h("GET /healthz", publicAccess, s.healthz),
		{pattern: "GET /metrics", access: publicAccess, handler: s.metrics.handler()},
		h("GET /v1/info", publicAccess, s.info),

		h("POST /v1/auth/activate", publicAccess, s.activateAuth),
		h("POST /v1/auth/deactivate", adminAccess, s.deactivateAuth),
		h("GET /v1/auth/whoami", anyoneAccess, s.whoAmI),
		h("POST /v1/auth/robots/{name}/tokens", adminAccess, s.robotToken),
		h("DELETE /v1/auth/robots/{name}/tokens", adminAccess, s.revokeRobot),
		h("POST /v1/auth/pipelines/{name}/tokens", adminAccess, s.workerToken),
		h("POST /v1/auth/revoke", anyoneAccess, s.revokeToken),
		h("POST /v1/auth/login-codes", anyoneAccess, s.loginCode),
		h("POST /v1/auth/sessions", publicAccess, s.session),
		// OIDC logins: before them the caller has no token.
		h("POST /v1/auth/oidc/login", publicAccess, s.beginOIDCLogin),
		h("POST /v1/auth/oidc/wait", publicAccess, s.waitOIDCLogin),
		h("GET /auth/login", publicAccess, s.beginBrowserLogin),
		h("GET /auth/callback", publicAccess, s.oidcCallback),
		h("GET /v1/auth/cluster/roles", adminAccess, s.clusterRoles),
		h("PUT /v1/auth/cluster/roles", adminAccess, s.setClusterRoles),
		h("GET /v1/auth/repos/{repo}/roles", read(repo), s.repoRoles),
		h("PUT /v1/auth/repos/{repo}/roles", own(repo), s.setRepoRoles),

		// Projects hold repos and pipelines; Tusk has no project roles,
		// so changing one takes a cluster admin.
		h("POST /v1/projects", memberAccess, s.createProject),
		h("GET /v1/projects", anyoneAccess, s.listProjects),
		h("GET /v1/projects/{project}", anyoneAccess, s.inspectProject),
		h("PATCH /v1/projects/{project}", adminAccess, s.updateProject),
		h("DELETE /v1/projects/{project}", adminAccess, s.deleteProject),

		h("POST /v1/repos", memberAccess, s.createRepo),
		h("GET /v1/repos", anyoneAccess, s.listRepos),
		h("GET /v1/repos/{repo}", read(repo), s.inspectRepo),
		h("PATCH /v1/repos/{repo}", write(repo), s.updateRepo),
		h("DELETE /v1/repos/{repo}", own(repo), s.deleteRepo),
		h("POST /v1/repos/{repo}/branches", write(repo), s.createBranch),
		h("GET /v1/repos/{repo}/branches", read(repo), s.listBranches),
		h("GET /v1/repos/{repo}/branches/{branch}", read(repo), s.inspectBranch),
		h("DELETE /v1/repos/{repo}/branches/{branch}", write(repo), s.deleteBranch),

		h("POST /v1/commits/start", write(bodyRepo), s.startCommit),
		h("POST /v1/commits/finish", write(bodyRef), s.finishCommit),
		h("GET /v1/commits/inspect", readRefs("ref"), s.inspectCommit),
		h("GET /v1/commits", read(queryRepoOrRef), s.listCommits),
		h("GET /v1/commits/wait", readRefs("ref"), s.waitCommit),
		h("POST /v1/commits/delete", write(bodyRef), s.deleteCommit),
		h("POST /v1/commits/squash", write(bodyRef), s.squashCommit),
		h("GET /v1/commitsets/{id}", read(pathCommitSet), s.commitSet),
		h("GET /v1/events/commits", anyoneAccess, s.commitEvents),

		// Transactions: the routes above that a transaction records
		// (create repo, start and finish commit, create and delete
		// branch) record a request carrying tusk.TxnHeader, after the
		// same checks of the caller's roles. Only its creator or a
		// cluster admin sees, finishes or deletes a transaction.
		h("POST /v1/transactions", memberAccess, s.startTxn),
		h("GET /v1/transactions", memberAccess, s.listTxns),
		h("GET /v1/transactions/{id}", memberAccess, s.inspectTxn),
		h("DELETE /v1/transactions/{id}", memberAccess, s.deleteTxn),
		h("POST /v1/transactions/{id}/finish", memberAccess, s.finishTxn),

		h("POST /v1/chunks/missing", anyoneAccess, s.missingChunks),
		{pattern: "PUT /v1/chunks/{id}", access: anyoneAccess, handler: http.HandlerFunc(s.putChunk), maxBody: maxChunkBody},
		{pattern: "POST /v1/files/modify", access: write(queryRefs("ref")), handler: http.HandlerFunc(s.modifyFiles), maxBody: -1},
		h("GET /v1/files/content", readRefs("ref"), s.getFile),
		h("GET /v1/files/tar", readRefs("ref"), s.getTar),
		h("GET /v1/files/list", readRefs("ref"), s.listFiles),
		h("GET /v1/files/walk", readRefs("ref"), s.walkFiles),
		h("GET /v1/files/inspect", readRefs("ref"), s.inspectFile),
		h("GET /v1/files/glob", readRefs("ref"), s.globFiles),
		h("GET /v1/files/diff", readRefs("new", "old"), s.diffFiles),

		// Secrets' values never leave the server through these: inspect
		// gives keys and sizes.
		h("POST /v1/secrets", adminAccess, s.createSecret),
		h("GET /v1/secrets", adminAccess, s.listSecrets),
		h("GET /v1/secrets/{name}", adminAccess, s.inspectSecret),
		h("DELETE /v1/secrets/{name}", adminAccess, s.deleteSecret),

		h("POST /v1/gc", adminAccess, s.gc),
		h("POST /v1/fsck", adminAccess, s.fsck),

		// A pipeline's permissions are those on its output repo, which
		// has its name; creating one checks its inputs (authorizeSpec).
		h("GET /v1/defaults", anyoneAccess, s.inspectDefaults),
		h("PUT /v1/defaults", adminAccess, s.setDefaults),
		h("DELETE /v1/defaults", adminAccess, s.deleteDefaults),
		h("POST /v1/pipelines", memberAccess, s.createPipeline),
		h("GET /v1/pipelines", anyoneAccess, s.listPipelines),
		h("GET /v1/pipelines/{name}", read(pipeline), s.inspectPipeline),
		h("GET /v1/pipelines/{name}/history", read(pipeline), s.pipelineHistory),
		h("DELETE /v1/pipelines/{name}", own(pipeline), s.deletePipeline),
		h("POST /v1/pipelines/{name}/{action}", write(pipeline), s.pipelineAction),
		h("GET /v1/jobs", read(query("pipeline")), s.listJobs),
		h("GET /v1/jobs/wait", read(query("pipeline")), s.waitJob),
		h("GET /v1/events/jobs", anyoneAccess, s.jobEvents),
		h("GET /v1/jobs/{pipeline}/{id}", read(inPath("pipeline")), s.inspectJob),
		h("POST /v1/jobs/{pipeline}/{id}/stop", write(inPath("pipeline")), s.stopJob),
		h("DELETE /v1/jobs/{pipeline}/{id}", write(inPath("pipeline")), s.deleteJob),
		h("GET /v1/jobs/{pipeline}/{id}/datums", read(inPath("pipeline")), s.listDatums),
		h("GET /v1/jobs/{pipeline}/{id}/datums/{datum}", read(inPath("pipeline")), s.inspectDatum),
		h("POST /v1/jobs/{pipeline}/{id}/restart", write(inPath("pipeline")), s.restartDatum),
		h("POST /v1/datums/dry-run", memberAccess, s.dryRunDatums),
		h("GET /v1/logs", read(query("pipeline")), s.logs),
		h("GET /v1/audit", adminAccess, s.auditLog),

		// The worker protocol, for the workers of each pipeline only.
		// The results of a datum set are unbounded: their list of output
		// files grows with the set, and a refusal would leave them
		// unreported.
		h("POST /v1/workers/next", forWorkers(queryPipeline), s.nextTask),
		h("POST /v1/workers/heartbeat", forWorkers(bodyPipeline), s.heartbeat),
		{pattern: "POST /v1/workers/done", access: forWorkers(bodyPipelines), handler: http.HandlerFunc(s.taskDone), maxBody: -1},
		h("POST /v1/workers/inputs", readInputs, s.taskInputs),
		h("POST /v1/workers/logs", forWorkers(bodyPipelines), s.appendLogs),

		// The console checks its own sessions and calls the API as the
		// user of each.
		{pattern: "GET /", access: publicAccess, handler: console.Handler("unix://"+s.socket.Addr().String(), s.log)},
	}
}

// newHandler serves endpoints, each with its permission, body limit,
// metrics and the checks of the browser guard, and records requests in
// the audit log.
func (s *Server) newHandler(endpoints []endpoint) http.Handler {
	mux := http.NewServeMux()
	for _, e := range endpoints {
		limit := e.maxBody
		if limit == 0 {
			limit = maxJSONBody
		}
		mux.Handle(e.pattern, s.metrics.wrap(e.pattern, s.browser.wrap(e.pattern, limitBody(limit, s.authorize(e.access, e.handler)))))
	}
	if s.audit == nil {
		return mux
	}
	return s.audited(mux)
}
