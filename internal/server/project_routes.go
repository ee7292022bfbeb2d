package server

import (
	"net/http"
)

func (s *Server) createProject(w http.ResponseWriter, r *http.Request) {
	var req named
	if err := readJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	p, err := s.pfs.CreateProject(r.Context(), req.Name, req.Description)
	reply(w, r, p, err)
}

func (s *Server) listProjects(w http.ResponseWriter, r *http.Request) {
	ps, err := s.pfs.ListProjects(r.Context())
	replyList(w, r, ps, err)
}

func (s *Server) inspectProject(w http.ResponseWriter, r *http.Request) {
	p, err := s.pfs.InspectProject(r.Context(), r.PathValue("project"))
	reply(w, r, p, err)
}

func (s *Server) updateProject(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Description string `json:"description"`
	}
	if err := readJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	p, err := s.pfs.UpdateProject(r.Context(), r.PathValue("project"), req.Description)
	reply(w, r, p, err)
}

func (s *Server) deleteProject(w http.ResponseWriter, r *http.Request) {
	reply(w, r, struct{}{}, s.pfs.DeleteProject(r.Context(), r.PathValue("project")))
}
