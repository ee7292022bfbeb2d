// Package txn keeps users' transactions, as pachctl's start|finish|stop|
// resume|delete|inspect|list transaction have them: while one is active,
// create repo, start and finish commit, create and delete branch, and
// create and update pipeline are recorded in it instead of being applied, each once a dry run of the
// whole transaction with it succeeds (as Pachyderm does). Finish applies
// them all in one metadata transaction, through a pfs.Batch, so that
// every commit they start or propagate is in one commit set whose ID is
// the transaction's, and a pipeline downstream of several changed inputs
// runs one job that sees them all. If one request fails, none is
// applied, and the transaction stays until its user deletes it.
//
// Files are not written through transactions: put file writes at once,
// into a commit a finished transaction started (by branch, or by its ID,
// which is the transaction's).
package txn
