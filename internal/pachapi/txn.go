package pachapi

import (
	"cmp"
	"strings"

	"github.com/tuskdata/tusk/internal/tusk"
)

// Transaction is transaction_v2.Transaction.
type Transaction struct {
	ID string `json:"id,omitempty"`
}

// TransactionInfo is transaction_v2.TransactionInfo.
type TransactionInfo struct {
	Transaction Transaction           `json:"transaction"`
	Requests    []TransactionRequest  `json:"requests,omitempty"`
	Responses   []TransactionResponse `json:"responses,omitempty"`
	Started     Timestamp             `json:"started,omitzero"`
}

// TransactionRequest is transaction_v2.TransactionRequest, of the
// requests Tusk records.
type TransactionRequest struct {
	CreateRepo   *CreateRepoRequest   `json:"create_repo,omitempty"`
	StartCommit  *StartCommitRequest  `json:"start_commit,omitempty"`
	FinishCommit *FinishCommitRequest `json:"finish_commit,omitempty"`
	CreateBranch *CreateBranchRequest `json:"create_branch,omitempty"`
	DeleteBranch *DeleteBranchRequest `json:"delete_branch,omitempty"`
	// CreatePipeline is create_pipeline_v2, as Pachyderm 2.x records
	// create and update pipeline.
	CreatePipeline *CreatePipelineTransaction `json:"create_pipeline_v2,omitempty"`
}

// CreatePipelineTransaction is pps_v2.CreatePipelineTransaction: the
// request (the pipeline's name, update and reprocess) and the spec, which
// is the effective one (defaults merged) as the user's too.
type CreatePipelineTransaction struct {
	CreatePipelineRequest CreatePipelineRequest `json:"create_pipeline_request"`
	UserJSON              string                `json:"user_json,omitempty"`
	EffectiveJSON         string                `json:"effective_json,omitempty"`
}

// CreatePipelineRequest is the part of pps_v2.CreatePipelineRequest that
// names what a transaction's create pipeline does.
type CreatePipelineRequest struct {
	Pipeline  Pipeline `json:"pipeline"`
	Update    bool     `json:"update,omitempty"`
	Reprocess bool     `json:"reprocess,omitempty"`
}

// TransactionResponse is transaction_v2.TransactionResponse.
type TransactionResponse struct {
	Commit *Commit `json:"commit,omitempty"`
}

// CreateRepoRequest is pfs_v2.CreateRepoRequest.
type CreateRepoRequest struct {
	Repo        Repo   `json:"repo"`
	Description string `json:"description,omitempty"`
}

// StartCommitRequest is pfs_v2.StartCommitRequest.
type StartCommitRequest struct {
	Description string `json:"description,omitempty"`
	Branch      Branch `json:"branch"`
}

// FinishCommitRequest is pfs_v2.FinishCommitRequest.
type FinishCommitRequest struct {
	Commit      Commit `json:"commit"`
	Description string `json:"description,omitempty"`
}

// CreateBranchRequest is pfs_v2.CreateBranchRequest.
type CreateBranchRequest struct {
	Head       *Commit  `json:"head,omitempty"`
	Branch     Branch   `json:"branch"`
	Provenance []Branch `json:"provenance,omitempty"`
	Trigger    *Trigger `json:"trigger,omitempty"`
}

// DeleteBranchRequest is pfs_v2.DeleteBranchRequest.
type DeleteBranchRequest struct {
	Branch Branch `json:"branch"`
	Force  bool   `json:"force,omitempty"`
}

// TransactionInfoFrom is t as pachctl prints a transaction.
func TransactionInfoFrom(t tusk.TxnInfo) TransactionInfo {
	out := TransactionInfo{Transaction: Transaction{ID: t.ID}, Started: At(t.Started)}
	for _, r := range t.Requests {
		out.Requests = append(out.Requests, requestOf(r))
	}
	for _, r := range t.Responses {
		var resp TransactionResponse
		if r.Commit != nil {
			c := CommitIn(r.Commit.Project, r.Commit.Repo, r.Commit.Branch, r.Commit.ID)
			resp.Commit = &c
		}
		out.Responses = append(out.Responses, resp)
	}
	return out
}

func requestOf(r tusk.TxnRequest) TransactionRequest {
	var out TransactionRequest
	project := projectOr(r.Project)
	switch {
	case r.CreateRepo != nil:
		out.CreateRepo = &CreateRepoRequest{Repo: RepoIn(project, r.CreateRepo.Name), Description: r.CreateRepo.Description}
	case r.StartCommit != nil:
		out.StartCommit = &StartCommitRequest{Description: r.StartCommit.Description,
			Branch: branchOf(tusk.BranchRef{Project: project, Repo: r.StartCommit.Repo, Branch: r.StartCommit.Branch})}
	case r.FinishCommit != nil:
		out.FinishCommit = &FinishCommitRequest{Commit: refCommit(project, r.FinishCommit.Ref), Description: r.FinishCommit.Description}
	case r.CreateBranch != nil:
		b := r.CreateBranch
		out.CreateBranch = &CreateBranchRequest{Branch: branchOf(tusk.BranchRef{Project: project, Repo: b.Repo, Branch: b.Name}),
			Provenance: branchesOf(project, b.Provenance), Trigger: TriggerOf(b.Trigger)}
		if b.Head != "" {
			head := refCommit(project, b.Repo+"@"+b.Head)
			out.CreateBranch.Head = &head
		}
	case r.CreatePipeline != nil:
		c := r.CreatePipeline
		out.CreatePipeline = &CreatePipelineTransaction{
			CreatePipelineRequest: CreatePipelineRequest{Pipeline: PipelineOf(c.Name), Update: c.Update, Reprocess: c.Reprocess},
			UserJSON:              string(c.Spec), EffectiveJSON: string(c.Spec)}
	case r.DeleteBranch != nil:
		out.DeleteBranch = &DeleteBranchRequest{Branch: branchOf(tusk.BranchRef{Project: project, Repo: r.DeleteBranch.Repo, Branch: r.DeleteBranch.Name}), Force: r.DeleteBranch.Force}
	}
	return out
}

// refCommit is the commit a reference "repo@branch-or-id" to a repo of
// project names: by branch or by ID; a reference to an ancestor
// (repo@master^) is given whole as the ID, as Pachyderm takes one.
func refCommit(project, s string) Commit {
	ref, err := tusk.ParseRef(s)
	if err != nil || ref.Up > 0 || ref.At > 0 {
		repo, id, _ := strings.Cut(s, "@")
		return Commit{Repo: RepoIn(project, repo), ID: id}
	}
	return CommitIn(cmp.Or(ref.Project, project), ref.Repo, ref.Branch, ref.ID)
}
