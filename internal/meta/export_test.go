package meta

// LockLeader is the first key of the leader lock, for tests that cut the
// leader's session.
const LockLeader = lockLeader
