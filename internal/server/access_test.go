package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/auth"
	"github.com/tuskdata/tusk/internal/tusk"
)

// accessSamples holds a request for each route, as pattern → path (with
// the query) and body. {C} is the ID of a commit set of repo "data".
var accessSamples = map[string]struct{ path, body string }{
	"GET /healthz":                          {"/healthz", ""},
	"GET /metrics":                          {"/metrics", ""},
	"GET /v1/info":                          {"/v1/info", ""},
	"POST /v1/auth/activate":                {"/v1/auth/activate", `{}`},
	"POST /v1/auth/deactivate":              {"/v1/auth/deactivate", `{}`},
	"GET /v1/auth/whoami":                   {"/v1/auth/whoami", ""},
	"POST /v1/auth/robots/{name}/tokens":    {"/v1/auth/robots/ci/tokens", `{}`},
	"DELETE /v1/auth/robots/{name}/tokens":  {"/v1/auth/robots/ci/tokens", ""},
	"POST /v1/auth/pipelines/{name}/tokens": {"/v1/auth/pipelines/p/tokens", `{}`},
	"POST /v1/auth/revoke":                  {"/v1/auth/revoke", `{"token": "tusk_x"}`},
	"POST /v1/auth/login-codes":             {"/v1/auth/login-codes", `{}`},
	"POST /v1/auth/sessions":                {"/v1/auth/sessions", `{"code": "x"}`},
	"POST /v1/auth/oidc/login":              {"/v1/auth/oidc/login", `{}`},
	"POST /v1/auth/oidc/wait":               {"/v1/auth/oidc/wait", `{"key": "x"}`},
	"GET /auth/login":                       {"/auth/login", ""},
	"GET /auth/callback":                    {"/auth/callback?state=x&code=y", ""},
	"GET /v1/auth/cluster/roles":            {"/v1/auth/cluster/roles", ""},
	"PUT /v1/auth/cluster/roles":            {"/v1/auth/cluster/roles", `{"subject": "user:zed", "roles": []}`},
	"GET /v1/auth/repos/{repo}/roles":       {"/v1/auth/repos/data/roles", ""},
	"PUT /v1/auth/repos/{repo}/roles":       {"/v1/auth/repos/data/roles", `{"subject": "user:zed", "roles": ["repoReader"]}`},

	"POST /v1/repos":                              {"/v1/repos", `{"name": "new"}`},
	"GET /v1/repos":                               {"/v1/repos", ""},
	"POST /v1/projects":                           {"/v1/projects", `{"name": "p"}`},
	"GET /v1/projects":                            {"/v1/projects", ""},
	"GET /v1/projects/{project}":                  {"/v1/projects/default", ""},
	"PATCH /v1/projects/{project}":                {"/v1/projects/default", `{"description": "d"}`},
	"DELETE /v1/projects/{project}":               {"/v1/projects/p", ""},
	"GET /v1/repos/{repo}":                        {"/v1/repos/data", ""},
	"PATCH /v1/repos/{repo}":                      {"/v1/repos/data", `{"description": "d"}`},
	"DELETE /v1/repos/{repo}":                     {"/v1/repos/data", ""},
	"POST /v1/repos/{repo}/branches":              {"/v1/repos/data/branches", `{"name": "dev"}`},
	"GET /v1/repos/{repo}/branches":               {"/v1/repos/data/branches", ""},
	"GET /v1/repos/{repo}/branches/{branch}":      {"/v1/repos/data/branches/master", ""},
	"DELETE /v1/repos/{repo}/branches/{branch}":   {"/v1/repos/data/branches/master", ""},
	"POST /v1/commits/start":                      {"/v1/commits/start", `{"repo": "data", "branch": "master"}`},
	"POST /v1/commits/finish":                     {"/v1/commits/finish", `{"ref": "data@master"}`},
	"GET /v1/commits/inspect":                     {"/v1/commits/inspect?ref=data@master", ""},
	"GET /v1/commits":                             {"/v1/commits?repo=data", ""},
	"GET /v1/commits/wait":                        {"/v1/commits/wait?id={C}", ""},
	"POST /v1/commits/delete":                     {"/v1/commits/delete", `{"ref": "data@master"}`},
	"POST /v1/commits/squash":                     {"/v1/commits/squash", `{"id": "{C}"}`},
	"GET /v1/commitsets/{id}":                     {"/v1/commitsets/{C}", ""},
	"GET /v1/events/commits":                      {"/v1/events/commits", ""},
	"POST /v1/transactions":                       {"/v1/transactions", `{}`},
	"GET /v1/transactions":                        {"/v1/transactions", ""},
	"GET /v1/transactions/{id}":                   {"/v1/transactions/t1", ""},
	"DELETE /v1/transactions/{id}":                {"/v1/transactions/t1", ""},
	"POST /v1/transactions/{id}/finish":           {"/v1/transactions/t1/finish", `{}`},
	"POST /v1/chunks/missing":                     {"/v1/chunks/missing", `{"ids": []}`},
	"PUT /v1/chunks/{id}":                         {"/v1/chunks/00", "x"},
	"POST /v1/files/modify":                       {"/v1/files/modify?ref=data@master", ""},
	"GET /v1/files/content":                       {"/v1/files/content?ref=data@master:/a", ""},
	"GET /v1/files/tar":                           {"/v1/files/tar?ref=data@master:/", ""},
	"GET /v1/files/list":                          {"/v1/files/list?ref=data@master:/", ""},
	"GET /v1/files/walk":                          {"/v1/files/walk?ref=data@master:/", ""},
	"GET /v1/files/inspect":                       {"/v1/files/inspect?ref=data@master:/", ""},
	"GET /v1/files/glob":                          {"/v1/files/glob?ref=data@master&pattern=*", ""},
	"GET /v1/files/diff":                          {"/v1/files/diff?new=data@master&old=data@master", ""},
	"GET /v1/defaults":                            {"/v1/defaults", ""},
	"PUT /v1/defaults":                            {"/v1/defaults", `{"datum_tries": 2}`},
	"DELETE /v1/defaults":                         {"/v1/defaults", ""},
	"POST /v1/secrets":                            {"/v1/secrets", `{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"k": "v"}}`},
	"GET /v1/secrets":                             {"/v1/secrets", ""},
	"GET /v1/secrets/{name}":                      {"/v1/secrets/s", ""},
	"DELETE /v1/secrets/{name}":                   {"/v1/secrets/s", ""},
	"POST /v1/gc":                                 {"/v1/gc", ""},
	"POST /v1/fsck":                               {"/v1/fsck", ""},
	"POST /v1/pipelines":                          {"/v1/pipelines", `{}`},
	"GET /v1/pipelines":                           {"/v1/pipelines", ""},
	"GET /v1/pipelines/{name}":                    {"/v1/pipelines/data", ""},
	"GET /v1/pipelines/{name}/history":            {"/v1/pipelines/data/history", ""},
	"DELETE /v1/pipelines/{name}":                 {"/v1/pipelines/data", ""},
	"POST /v1/pipelines/{name}/{action}":          {"/v1/pipelines/data/stop", ""},
	"GET /v1/jobs":                                {"/v1/jobs?pipeline=data", ""},
	"GET /v1/jobs/wait":                           {"/v1/jobs/wait?pipeline=data", ""},
	"GET /v1/events/jobs":                         {"/v1/events/jobs", ""},
	"GET /v1/jobs/{pipeline}/{id}":                {"/v1/jobs/data/{C}", ""},
	"POST /v1/jobs/{pipeline}/{id}/stop":          {"/v1/jobs/data/{C}/stop", ""},
	"DELETE /v1/jobs/{pipeline}/{id}":             {"/v1/jobs/data/{C}", ""},
	"GET /v1/jobs/{pipeline}/{id}/datums":         {"/v1/jobs/data/{C}/datums", ""},
	"GET /v1/jobs/{pipeline}/{id}/datums/{datum}": {"/v1/jobs/data/{C}/datums/d", ""},
	"POST /v1/jobs/{pipeline}/{id}/restart":       {"/v1/jobs/data/{C}/restart", `{}`},
	"POST /v1/datums/dry-run":                     {"/v1/datums/dry-run", `{}`},
	"GET /v1/logs":                                {"/v1/logs?pipeline=data", ""},
	"GET /v1/audit":                               {"/v1/audit", ""},
	"POST /v1/workers/next":                       {"/v1/workers/next?pipeline=pipe", ""},
	"POST /v1/workers/heartbeat":                  {"/v1/workers/heartbeat", `{"pipeline": "pipe"}`},
	"POST /v1/workers/done":                       {"/v1/workers/done", `[{"pipeline": "pipe"}]`},
	"POST /v1/workers/inputs":                     {"/v1/workers/inputs", `{"datums": [[{"name": "in", "repo": "data", "commit": "{C}", "path": "/"}]]}`},
	"POST /v1/workers/logs":                       {"/v1/workers/logs", `[{"pipeline": "pipe"}]`},
	"GET /":                                       {"/", ""},
}

// TestEveryRouteChecksItsPermission goes over every route of the server
// (so a new route cannot be left out) with each route's handler replaced
// by one that answers 204: each refuses a request without a token and one
// with a bad token (401), and one whose caller lacks the role it needs
// (403), and lets through one whose caller has just that role.
func TestEveryRouteChecksItsPermission(t *testing.T) {
	ctx := context.Background()
	s, err := New(ctx, Config{DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.pfs.CreateRepo(ctx, tusk.DefaultProject, "data", ""); err != nil {
		t.Fatal(err)
	}
	c, err := s.pfs.StartCommit(ctx, tusk.DefaultProject, "data", "master", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.pfs.FinishCommit(ctx, tusk.Ref{Repo: "data", ID: c.ID}, "", ""); err != nil {
		t.Fatal(err)
	}
	adminToken, _, err := s.AdminToken(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{"admin": adminToken}
	for name, role := range map[string]string{"reader": auth.RepoReader, "writer": auth.RepoWriter, "owner": auth.RepoOwner, "bob": ""} {
		subject := auth.UserPrefix + name
		if role != "" {
			if err := s.auth.SetRoles(ctx, auth.Repo(tusk.DefaultProject, "data"), subject, []string{role}); err != nil {
				t.Fatal(err)
			}
		}
		if tokens[name], err = s.auth.Issue(ctx, subject, 0); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"pipe", "other"} {
		if tokens["pipeline:"+p], err = s.auth.Issue(ctx, auth.Pipeline(p), 0); err != nil {
			t.Fatal(err)
		}
	}

	endpoints := s.endpoints()
	for i := range endpoints {
		endpoints[i].handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	}
	h := s.newHandler(endpoints)
	send := func(e endpoint, token string) int {
		sample := accessSamples[e.pattern]
		method, _, _ := strings.Cut(e.pattern, " ")
		path := strings.ReplaceAll(sample.path, "{C}", c.ID)
		body := strings.ReplaceAll(sample.body, "{C}", c.ID)
		// As the CLI sends it, so that the browser guard lets it by.
		local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1650}
		req := httptest.NewRequestWithContext(context.WithValue(ctx, http.LocalAddrContextKey, local), method, path, strings.NewReader(body))
		req.Host = local.String()
		req.Header.Set("Content-Type", bodyTypesOf(e.pattern)[0])
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}

	for _, e := range endpoints {
		t.Run(e.pattern, func(t *testing.T) {
			if _, ok := accessSamples[e.pattern]; !ok {
				t.Fatalf("no sample request for %s: add one to accessSamples", e.pattern)
			}
			var right string
			var wrong []string
			switch e.access.who {
			case public:
				if code := send(e, ""); code != http.StatusNoContent {
					t.Errorf("public route without a token: %d, want 204", code)
				}
				return
			case anyone:
				right = "bob"
			case member:
				right, wrong = "bob", []string{"pipeline:pipe"}
			case admin:
				right, wrong = "admin", []string{"owner", "bob"}
			case pipelineWorkers:
				right, wrong = "pipeline:pipe", []string{"pipeline:other", "bob", "owner"}
			case onRepos:
				names := map[auth.Level]string{auth.Read: "reader", auth.Write: "writer", auth.Own: "owner"}
				right, wrong = names[e.access.level], []string{"bob", "pipeline:other"}
				if below := names[e.access.level-1]; below != "" {
					wrong = append(wrong, below)
				}
			}
			if code := send(e, ""); code != http.StatusUnauthorized {
				t.Errorf("without a token: %d, want 401", code)
			}
			if code := send(e, "tusk_not-a-token"); code != http.StatusUnauthorized {
				t.Errorf("with a bad token: %d, want 401", code)
			}
			for _, who := range wrong {
				if code := send(e, tokens[who]); code != http.StatusForbidden {
					t.Errorf("as %s: %d, want 403", who, code)
				}
			}
			if code := send(e, tokens[right]); code != http.StatusNoContent {
				t.Errorf("as %s: %d, want 204", right, code)
			}
			if code := send(e, tokens["admin"]); code != http.StatusNoContent {
				t.Errorf("as a cluster admin: %d, want 204", code)
			}
		})
	}
}
