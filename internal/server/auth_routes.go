package server

import (
	"context"
	"net/http"
	"time"

	"github.com/tuskdata/tusk/internal/auth"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// AdminToken returns a token of a cluster admin for the CLI configuration
// of whoever started this server: existing if it is still one, else a new
// one; created says which.
func (s *Server) AdminToken(ctx context.Context, existing string) (token string, created bool, err error) {
	return s.auth.EnsureAdmin(ctx, existing)
}

// AdoptAdminToken makes token, chosen by the operator, a valid token of
// the cluster admin (see auth.Service.AdoptAdmin).
func (s *Server) AdoptAdminToken(ctx context.Context, token string) error {
	return s.auth.AdoptAdmin(ctx, token)
}

func (s *Server) activateAuth(w http.ResponseWriter, r *http.Request) {
	tok, err := s.auth.Activate(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.authActive.Store(true)
	s.log.Warn("authentication activated")
	writeJSON(w, tusk.Token{Token: tok, Subject: auth.Admin})
}

func (s *Server) deactivateAuth(w http.ResponseWriter, r *http.Request) {
	if s.cfg.KeepAuth {
		writeError(w, r, tusk.Errorf(tusk.KindInvalid, "authentication stays on: this server listens on %s, where other machines may reach it, and pipelines run arbitrary code", s.cfg.Listen).
			WithHint("restart tusk up on 127.0.0.1 (the default), or with --insecure if everyone who can reach it may run code on this machine, then deactivate"))
		return
	}
	if err := s.auth.Deactivate(r.Context()); err != nil {
		writeError(w, r, err)
		return
	}
	s.authActive.Store(false)
	s.log.Warn("authentication deactivated: every request may now do anything", "by", caller(r).Subject)
	writeJSON(w, struct{}{})
}

func (s *Server) whoAmI(w http.ResponseWriter, r *http.Request) {
	if !s.authActive.Load() {
		writeJSON(w, tusk.WhoAmI{Admin: true})
		return
	}
	g := caller(r)
	out := tusk.WhoAmI{Active: true, Subject: g.Subject, Admin: g.Admin, Repos: map[string]string{}}
	for repo, l := range g.Repos {
		out.Repos[repo] = auth.RoleOf(l)
	}
	writeJSON(w, out)
}

func (s *Server) robotToken(w http.ResponseWriter, r *http.Request) {
	subject, err := auth.Robot(r.PathValue("name"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.issueToken(w, r, subject)
}

// workerToken issues a token of a pipeline for workers started outside
// tusk (tusk worker on another host): it speaks for the pipeline, as the
// tokens its runner gives the workers it starts do.
func (s *Server) workerToken(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if _, err := s.pps.InspectPipeline(r.Context(), name); err != nil {
		writeError(w, r, err)
		return
	}
	s.issueToken(w, r, auth.Pipeline(name))
}

// issueToken issues a token of subject, for the ttl in the request body.
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request, subject string) {
	var req struct {
		TTL string `json:"ttl"`
	}
	if err := readJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	var ttl time.Duration
	if req.TTL != "" {
		d, err := time.ParseDuration(req.TTL)
		if err != nil || d <= 0 {
			writeError(w, r, tusk.Errorf(tusk.KindInvalid, "ttl %q: want a positive duration such as 720h", req.TTL))
			return
		}
		ttl = d
	}
	tok, err := s.auth.Issue(r.Context(), subject, ttl)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := tusk.Token{Token: tok, Subject: subject}
	if ttl > 0 {
		out.Expires = time.Now().Add(ttl).UTC().Format(time.RFC3339)
	}
	writeJSON(w, out)
}

func (s *Server) revokeRobot(w http.ResponseWriter, r *http.Request) {
	subject, err := auth.Robot(r.PathValue("name"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	n, err := s.auth.RevokeAll(r.Context(), subject)
	reply(w, r, map[string]int{"revoked": n}, err)
}

// revokeToken revokes the token in the body: whoever holds a token may
// revoke it.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Token string `json:"token"`
	}
	if err := readJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	reply(w, r, map[string]int{"revoked": 1}, s.auth.Revoke(r.Context(), req.Token))
}

func (s *Server) clusterRoles(w http.ResponseWriter, r *http.Request) {
	s.getRoles(w, r, auth.Cluster)
}

func (s *Server) setClusterRoles(w http.ResponseWriter, r *http.Request) {
	s.setRoles(w, r, auth.Cluster)
}

func (s *Server) repoRoles(w http.ResponseWriter, r *http.Request) {
	if _, err := s.pfs.InspectRepo(r.Context(), projectOf(r), r.PathValue("repo")); err != nil {
		writeError(w, r, err)
		return
	}
	s.getRoles(w, r, auth.Repo(projectOf(r), r.PathValue("repo")))
}

func (s *Server) setRepoRoles(w http.ResponseWriter, r *http.Request) {
	if _, err := s.pfs.InspectRepo(r.Context(), projectOf(r), r.PathValue("repo")); err != nil {
		writeError(w, r, err)
		return
	}
	s.setRoles(w, r, auth.Repo(projectOf(r), r.PathValue("repo")))
}

func (s *Server) getRoles(w http.ResponseWriter, r *http.Request, res meta.Resource) {
	bs, err := s.auth.Bindings(r.Context(), res)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var out []tusk.RoleBinding
	for _, b := range bs {
		if n := len(out); n > 0 && out[n-1].Subject == b.Subject {
			out[n-1].Roles = append(out[n-1].Roles, b.Role)
			continue
		}
		out = append(out, tusk.RoleBinding{Subject: b.Subject, Roles: []string{b.Role}})
	}
	replyList(w, r, out, nil)
}

func (s *Server) setRoles(w http.ResponseWriter, r *http.Request, res meta.Resource) {
	var req tusk.RoleBinding
	if err := readJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	subject, err := auth.ParseSubject(req.Subject)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var roles []string
	for _, role := range req.Roles {
		rs, err := auth.ParseRoles(res.Kind, role)
		if err != nil {
			writeError(w, r, err)
			return
		}
		roles = append(roles, rs...)
	}
	reply(w, r, struct{}{}, s.auth.SetRoles(r.Context(), res, subject, roles))
}

// LoginLink returns a one-time link that opens a console session as the
// cluster admin, for `tusk up` to print; base is the server's URL.
func (s *Server) LoginLink(base string) string {
	return base + "/login?code=" + s.codes.New(auth.Admin)
}

// loginCode makes a one-time code that opens a console session as the
// caller.
func (s *Server) loginCode(w http.ResponseWriter, r *http.Request) {
	subject := caller(r).Subject
	if subject == "" {
		subject = auth.Admin
	}
	writeJSON(w, map[string]string{"code": s.codes.New(subject)})
}

// session turns a one-time login code into a token of its subject that
// lasts tusk.SessionTTL.
func (s *Server) session(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Code string `json:"code"`
	}
	if err := readJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	subject, err := s.codes.Redeem(req.Code)
	if err != nil {
		writeError(w, r, err)
		return
	}
	tok, err := s.auth.Issue(r.Context(), subject, tusk.SessionTTL)
	reply(w, r, tusk.Token{Token: tok, Subject: subject, Expires: time.Now().Add(tusk.SessionTTL).UTC().Format(time.RFC3339)}, err)
}
