package pachapi

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

func TestTransactionInfoFrom(t *testing.T) {
	id := "0123456789abcdef0123456789abcdef"
	info := tusk.TxnInfo{ID: id, Started: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), Requests: []tusk.TxnRequest{
		{StartCommit: &tusk.StartCommitRequest{Repo: "a", Branch: "master"}},
		{FinishCommit: &tusk.FinishCommitRequest{Ref: "a@" + id}},
		{CreateBranch: &tusk.CreateBranchRequest{Repo: "a", Name: "dev", Head: "master^"}},
	}, Responses: []tusk.TxnResponse{{Commit: &tusk.Commit{Repo: "a", Branch: "master", ID: id}}, {}, {}}}
	got, err := json.Marshal(TransactionInfoFrom(info))
	if err != nil {
		t.Fatal(err)
	}
	repo := `{"name":"a","type":"user","project":{"name":"default"}}`
	want := `{"transaction":{"id":"` + id + `"},"requests":[` +
		`{"start_commit":{"branch":{"repo":` + repo + `,"name":"master"}}},` +
		`{"finish_commit":{"commit":{"repo":` + repo + `,"id":"` + id + `"}}},` +
		`{"create_branch":{"head":{"repo":` + repo + `,"id":"master^"},"branch":{"repo":` + repo + `,"name":"dev"}}}],` +
		`"responses":[{"commit":{"repo":` + repo + `,"id":"` + id + `","branch":{"repo":` + repo + `,"name":"master"}}},{},{}],` +
		`"started":"2024-01-02T03:04:05Z"}`
	if string(got) != want {
		t.Errorf("TransactionInfoFrom =\n%s\nwant\n%s", got, want)
	}
}
