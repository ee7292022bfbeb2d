package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/tuskdata/tusk/internal/tusk"
)

// InTransaction returns a client whose create repo, start and finish
// commit, and create and delete branch are recorded in the transaction
// id rather than applied; its other calls are as c's. Start commit
// answers the commit the transaction will start.
func (c *Client) InTransaction(id string) *Client {
	t := c.As(c.token)
	t.txn, t.project = id, c.project
	return t
}

// StartTransaction starts an empty transaction.
func (c *Client) StartTransaction(ctx context.Context) (tusk.TxnInfo, error) {
	var info tusk.TxnInfo
	err := c.call(ctx, http.MethodPost, "/v1/transactions", nil, struct{}{}, &info)
	return info, err
}

// InspectTransaction describes a transaction and the requests recorded
// in it.
func (c *Client) InspectTransaction(ctx context.Context, id string) (tusk.TxnInfo, error) {
	var info tusk.TxnInfo
	err := c.call(ctx, http.MethodGet, "/v1/transactions/"+url.PathEscape(id), nil, nil, &info)
	return info, err
}

// ListTransactions lists the pending transactions the caller may see
// (its own; every one for a cluster admin), oldest first.
func (c *Client) ListTransactions(ctx context.Context) ([]tusk.TxnInfo, error) {
	return collect[tusk.TxnInfo](ctx, c, "/v1/transactions", nil)
}

// FinishTransaction applies every request of a transaction at once, and
// removes it; if one fails, none is applied and the transaction stays.
func (c *Client) FinishTransaction(ctx context.Context, id string) (tusk.TxnInfo, error) {
	var info tusk.TxnInfo
	err := c.call(ctx, http.MethodPost, "/v1/transactions/"+url.PathEscape(id)+"/finish", nil, struct{}{}, &info)
	return info, err
}

// DeleteTransaction discards a transaction and its requests.
func (c *Client) DeleteTransaction(ctx context.Context, id string) error {
	return c.call(ctx, http.MethodDelete, "/v1/transactions/"+url.PathEscape(id), nil, nil, nil)
}
