package server

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/tuskdata/tusk/internal/auth"
	"github.com/tuskdata/tusk/internal/pfs"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

// This file holds the routes of transactions (package txn), and record,
// which the routes of the requests a transaction takes call first.

// record records req in the transaction r names in tusk.TxnHeader, if it
// names one, and answers the request: with the commit a start commit
// will make, else with an empty object. It reports whether r named a
// transaction. The route's access was checked as for a request applied
// at once.
func (s *Server) record(w http.ResponseWriter, r *http.Request, req tusk.TxnRequest) bool {
	id := r.Header.Get(tusk.TxnHeader)
	if id == "" {
		return false
	}
	resp, err := s.txns.Append(r.Context(), id, caller(r).Subject, req)
	if err != nil {
		writeError(w, r, err)
		return true
	}
	w.Header().Set(tusk.TxnHeader, id)
	if resp.Commit != nil {
		writeJSON(w, resp.Commit)
		return true
	}
	writeJSON(w, struct{}{})
	return true
}

// createsInTxn reports whether r is to be recorded in a transaction in
// which subject recorded the creation of repo: subject will own the repo
// when the transaction is applied, so may record requests on it already.
func (s *Server) createsInTxn(r *http.Request, subject, repo string) bool {
	id := r.Header.Get(tusk.TxnHeader)
	if id == "" {
		return false
	}
	info, err := s.txns.Inspect(r.Context(), id)
	if err != nil {
		return false
	}
	for _, q := range info.Requests {
		if q.CreateRepo != nil && auth.RepoKey(q.Project, q.CreateRepo.Name) == repo && q.Subject == subject {
			return true
		}
	}
	return false
}

// recordPipelines records create (or update) pipeline of each spec in
// the transaction id, after the checks that read outside it (the
// server's limits); the dry run checks the rest.
func (s *Server) recordPipelines(w http.ResponseWriter, r *http.Request, id string, ps []spec.Pipeline) {
	for i := range ps {
		if err := s.pps.CheckLimits(r.Context(), &ps[i]); err != nil {
			writeError(w, r, err)
			return
		}
		data, err := json.Marshal(&ps[i])
		if err != nil {
			writeError(w, r, err)
			return
		}
		req := tusk.CreatePipelineRequest{Name: ps[i].Name(), Spec: data, Update: queryBool(r, "update"), Reprocess: queryBool(r, "reprocess")}
		if _, err := s.txns.Append(r.Context(), id, caller(r).Subject, tusk.TxnRequest{CreatePipeline: &req}); err != nil {
			writeError(w, r, err)
			return
		}
	}
	w.Header().Set(tusk.TxnHeader, id)
	writeJSON(w, []tusk.PipelineInfo{})
}

// txnPipelines creates pipelines for transactions (txn.Pipelines): the
// pipeline's identity and its creator's roles are granted once the
// transaction committed, as create pipeline grants them.
type txnPipelines struct{ s *Server }

func (t txnPipelines) CreatePipelineIn(ctx context.Context, b *pfs.Batch, subject string, req tusk.CreatePipelineRequest) (func(context.Context), error) {
	var p spec.Pipeline
	if err := json.Unmarshal(req.Spec, &p); err != nil {
		return nil, tusk.Errorf(tusk.KindInvalid, "the recorded spec of pipeline %s: %v", req.Name, err)
	}
	after, err := t.s.pps.CreatePipelineIn(ctx, b, &p, req.Update, req.Reprocess)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) {
		err := t.s.grantPipelineIdentity(ctx, &p)
		if err == nil && subject != "" {
			var g auth.Grants
			if g, err = t.s.auth.Grants(ctx, subject); err == nil {
				err = t.s.grantCreator(ctx, g, &p)
			}
		}
		if err != nil {
			t.s.log.Error("grant the roles of a pipeline a transaction made", "pipeline", p.Name(), "err", err)
		}
		after(ctx)
	}, nil
}

func (s *Server) startTxn(w http.ResponseWriter, r *http.Request) {
	var req struct{}
	if err := readJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	info, err := s.txns.Start(r.Context(), caller(r).Subject)
	reply(w, r, info, err)
}

// ownTxn returns the transaction id if the caller started it or is a
// cluster admin; another's is not found, as if it did not exist.
func (s *Server) ownTxn(r *http.Request, id string) (tusk.TxnInfo, error) {
	info, err := s.txns.Inspect(r.Context(), id)
	if err != nil {
		return info, err
	}
	if g := caller(r); !g.Admin && g.Subject != info.Creator {
		return tusk.TxnInfo{}, tusk.Errorf(tusk.KindNotFound, "transaction %s not found", id).
			WithHint("list your transactions with: tusk list transaction")
	}
	return info, nil
}

func (s *Server) listTxns(w http.ResponseWriter, r *http.Request) {
	all, err := s.txns.List(r.Context())
	g := caller(r)
	var mine []tusk.TxnInfo
	for _, t := range all {
		if g.Admin || t.Creator == g.Subject {
			mine = append(mine, t)
		}
	}
	replyList(w, r, mine, err)
}

func (s *Server) inspectTxn(w http.ResponseWriter, r *http.Request) {
	info, err := s.ownTxn(r, r.PathValue("id"))
	reply(w, r, info, err)
}

func (s *Server) deleteTxn(w http.ResponseWriter, r *http.Request) {
	_, err := s.ownTxn(r, r.PathValue("id"))
	if err == nil {
		err = s.txns.Delete(r.Context(), r.PathValue("id"))
	}
	reply(w, r, struct{}{}, err)
}

func (s *Server) finishTxn(w http.ResponseWriter, r *http.Request) {
	var req struct{}
	if err := readJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if _, err := s.ownTxn(r, r.PathValue("id")); err != nil {
		writeError(w, r, err)
		return
	}
	info, err := s.txns.Finish(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	// The creator of a repo owns it, as when created at once.
	var errs []error
	for _, q := range info.Requests {
		if q.CreateRepo != nil {
			errs = append(errs, s.makeOwner(r.Context(), q.Subject, auth.Repo(cmp.Or(q.Project, tusk.DefaultProject), q.CreateRepo.Name)))
		}
	}
	reply(w, r, info, errors.Join(errs...))
}
