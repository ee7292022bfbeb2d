package tusk

import (
	"encoding/json"
	"fmt"
	"time"
)

// TxnInfo is a pending transaction (tusk start transaction): the requests
// recorded in it, applied together by finish transaction. Its ID is also
// the ID of the commit set its commits get.
type TxnInfo struct {
	ID       string       `json:"id"`
	Started  time.Time    `json:"started"`
	Creator  string       `json:"creator,omitempty"` // the subject who started it, when auth is on
	Requests []TxnRequest `json:"requests"`
	// Responses are the results of the requests, one each, once they ran:
	// in the answer of finish transaction, and of the request recorded.
	Responses []TxnResponse `json:"responses,omitempty"`
}

// TxnResponse is the result of one request of a transaction; start commit
// gives the commit it starts (its ID is the transaction's).
type TxnResponse struct {
	Commit *Commit `json:"commit,omitempty"`
}

// TxnRequest is one recorded request: exactly one of its operations is
// set. Subject is who recorded it, when auth is on: finish applies it
// with that subject's rights, checked when it was recorded.
type TxnRequest struct {
	Subject string `json:"subject,omitempty"`
	// Project is the project of the repo the request names; empty is
	// DefaultProject.
	Project      string               `json:"project,omitempty"`
	CreateRepo   *CreateRepoRequest   `json:"create_repo,omitempty"`
	StartCommit  *StartCommitRequest  `json:"start_commit,omitempty"`
	FinishCommit *FinishCommitRequest `json:"finish_commit,omitempty"`
	CreateBranch *CreateBranchRequest `json:"create_branch,omitempty"`
	DeleteBranch *DeleteBranchRequest `json:"delete_branch,omitempty"`
	// CreatePipeline is create pipeline, or update pipeline.
	CreatePipeline *CreatePipelineRequest `json:"create_pipeline,omitempty"`
}

// CreateRepoRequest is create repo.
type CreateRepoRequest struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// StartCommitRequest is start commit.
type StartCommitRequest struct {
	Repo        string `json:"repo"`
	Branch      string `json:"branch"`
	Description string `json:"description,omitempty"`
}

// FinishCommitRequest is finish commit of the commit Ref names.
type FinishCommitRequest struct {
	Ref         string `json:"ref"`
	Description string `json:"description,omitempty"`
}

// CreateBranchRequest is create branch.
type CreateBranchRequest struct {
	Repo       string      `json:"repo"`
	Name       string      `json:"name"`
	Head       string      `json:"head,omitempty"`
	Provenance []BranchRef `json:"provenance,omitempty"`
	Trigger    *Trigger    `json:"trigger,omitempty"`
}

// DeleteBranchRequest is delete branch.
type DeleteBranchRequest struct {
	Repo  string `json:"repo"`
	Name  string `json:"name"`
	Force bool   `json:"force,omitempty"`
}

// CreatePipelineRequest is create pipeline, or update pipeline when
// Update is set, of Spec (JSON, defaults merged).
type CreatePipelineRequest struct {
	Name      string          `json:"name"`
	Spec      json.RawMessage `json:"spec"`
	Update    bool            `json:"update,omitempty"`
	Reprocess bool            `json:"reprocess,omitempty"`
}

// String says what r does, as the command that recorded it.
func (r TxnRequest) String() string {
	switch {
	case r.CreateRepo != nil:
		return "create repo " + r.CreateRepo.Name
	case r.StartCommit != nil:
		return fmt.Sprintf("start commit %s@%s", r.StartCommit.Repo, r.StartCommit.Branch)
	case r.FinishCommit != nil:
		return "finish commit " + r.FinishCommit.Ref
	case r.CreateBranch != nil:
		s := fmt.Sprintf("create branch %s@%s", r.CreateBranch.Repo, r.CreateBranch.Name)
		if r.CreateBranch.Head != "" {
			s += " --head " + r.CreateBranch.Head
		}
		for _, p := range r.CreateBranch.Provenance {
			s += " --provenance " + p.String()
		}
		return s
	case r.DeleteBranch != nil:
		return fmt.Sprintf("delete branch %s@%s", r.DeleteBranch.Repo, r.DeleteBranch.Name)
	case r.CreatePipeline != nil && r.CreatePipeline.Update:
		return "update pipeline " + r.CreatePipeline.Name
	case r.CreatePipeline != nil:
		return "create pipeline " + r.CreatePipeline.Name
	}
	return "(empty request)"
}

// TxnHeader is the HTTP header that names the transaction a request is
// to be recorded in.
const TxnHeader = "Tusk-Transaction"
