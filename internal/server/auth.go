package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/tuskdata/tusk/internal/auth"
	"github.com/tuskdata/tusk/internal/runner"
	"github.com/tuskdata/tusk/internal/tusk"
)

type callerKey struct{}

// caller returns what the caller of r may do. With authentication off,
// everyone is an anonymous cluster admin.
func caller(r *http.Request) auth.Grants {
	g, ok := r.Context().Value(callerKey{}).(auth.Grants)
	if !ok {
		return auth.Grants{Admin: true}
	}
	return g
}

// bearer returns the token of a request's Authorization header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
		return strings.TrimSpace(tok)
	}
	return ""
}

// authorize runs next only for callers that a has room for: it finds who
// the caller is from their bearer token and checks the roles a needs.
func (s *Server) authorize(a access, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.who == public || !s.authActive.Load() {
			next.ServeHTTP(w, r)
			return
		}
		tok := bearer(r)
		if tok == "" {
			writeError(w, r, tusk.Errorf(tusk.KindUnauthenticated, "%s %s needs a token, and the request has none", r.Method, r.URL.Path).
				WithHint("run tusk auth login (tusk up writes the admin's token into the CLI config of the context it serves)"))
			return
		}
		g, err := s.auth.Authenticate(r.Context(), tok)
		if err != nil {
			writeError(w, r, err)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), callerKey{}, g))
		if rec := recordOf(r); rec != nil {
			rec.mu.Lock()
			rec.who = g.Subject
			rec.mu.Unlock()
		}
		if err := s.check(r, g, a); err != nil {
			writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// check says why g may not make request r, which needs a.
func (s *Server) check(r *http.Request, g auth.Grants, a access) error {
	if g.Admin {
		return nil
	}
	_, isPipeline := auth.PipelineOf(g.Subject)
	switch a.who {
	case anyone:
		return nil
	case member:
		if isPipeline {
			return tusk.Errorf(tusk.KindForbidden, "%s may not %s %s: pipelines and their workers may only read their inputs and write their output",
				g.Subject, r.Method, r.URL.Path)
		}
		return nil
	case admin:
		return tusk.Errorf(tusk.KindForbidden, "%s %s needs clusterAdmin, which %s does not have", r.Method, r.URL.Path, g.Subject).
			WithHint("ask a cluster admin: tusk auth set cluster clusterAdmin %s", g.Subject)
	}
	names, err := a.names(s, r)
	if err != nil {
		return err
	}
	if a.who == pipelineWorkers {
		mine, ok := auth.PipelineOf(g.Subject)
		for _, p := range names {
			if !ok || p != mine {
				return tusk.Errorf(tusk.KindForbidden, "%s may not work for pipeline %q: only its own workers may", g.Subject, p)
			}
		}
		if !ok {
			return tusk.Errorf(tusk.KindForbidden, "%s %s is for pipeline workers, and %s is not one", r.Method, r.URL.Path, g.Subject)
		}
		return nil
	}
	for _, repo := range names {
		if err := need(g, repo, a.level); err != nil && !s.createsInTxn(r, g.Subject, repo) {
			return err
		}
	}
	if p, ok := auth.PipelineOf(g.Subject); ok && a.level == auth.Read {
		return s.jobScope(r, p, names, a)
	}
	return nil
}

// need says why g may not act with level on repo.
func need(g auth.Grants, repo string, level auth.Level) error {
	if g.Can(repo, level) {
		return nil
	}
	has, name, of, flag := g.Repos[repo], repo, "", ""
	if project, n, ok := strings.Cut(repo, "/"); ok {
		name, of, flag = n, " of project "+project, " --project "+project
	}
	return tusk.Errorf(tusk.KindForbidden, "%s needs %s on repo %q%s and has %s", g.Subject, auth.RoleOf(level), name, of, has).
		WithHint("ask an owner: tusk auth set repo %s %s %s%s", name, auth.RoleOf(level), g.Subject, flag)
}

// require says why the caller of r may not act with level on repo, for
// handlers that find more repos than their route names (provenance,
// pipeline inputs).
func require(r *http.Request, repo string, level auth.Level) error {
	return need(caller(r), repo, level)
}

// readable keeps the items on repos that the caller of r may read.
func readable[T any](r *http.Request, items []T, repo func(T) string) []T {
	g := caller(r)
	if g.Admin {
		return items
	}
	out := items[:0]
	for _, it := range items {
		if g.Can(repo(it), auth.Read) {
			out = append(out, it)
		}
	}
	return out
}

// openAuth starts the auth service, and removes expired tokens. The
// tokens of workers of an earlier leader are revoked when this server
// begins to lead (lead.go).
func (s *Server) openAuth(ctx context.Context) error {
	s.auth = auth.New(s.db)
	active, err := s.auth.Active(ctx)
	if err != nil {
		return fmt.Errorf("read the auth settings: %w", err)
	}
	s.authActive.Store(active)
	if !active {
		s.log.Warn("authentication is deactivated: anyone who can reach the server may do anything; turn it on with tusk auth activate")
	}
	return s.auth.RemoveExpired(ctx)
}

// AuthActive reports whether the server asks requests for a token.
func (s *Server) AuthActive() bool { return s.authActive.Load() }

// workerCredentials gives each worker a token of its pipeline's identity,
// which holds reader on the pipeline's inputs and writer on its output.
type workerCredentials struct{ auth *auth.Service }

func (c workerCredentials) Issue(ctx context.Context, pipeline, worker string) (string, error) {
	return c.auth.IssueWorker(ctx, pipeline, worker)
}

func (c workerCredentials) Revoke(ctx context.Context, token string) error {
	return c.auth.Revoke(ctx, token)
}

// WorkerCredentials returns what the server's runner gives its workers
// their tokens with, for a runner run beside the server's (the runner
// conformance suite, runnertest).
func (s *Server) WorkerCredentials() runner.Credentials { return workerCredentials{s.auth} }
