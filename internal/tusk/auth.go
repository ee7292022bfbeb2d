package tusk

import "time"

// SessionTTL is how long a console session lasts: the server issues its
// token for that long, and the console's login page says so.
const SessionTTL = 7 * 24 * time.Hour

// WorkerTokenEnv is the environment variable in which a runner gives a
// worker its token.
const WorkerTokenEnv = "TUSK_WORKER_TOKEN"

// WhoAmI is who a token speaks for and what it may do.
type WhoAmI struct {
	// Active is false when authentication is off: everyone may do
	// anything.
	Active  bool              `json:"active"`
	Subject string            `json:"subject,omitempty"`
	Admin   bool              `json:"cluster_admin"`
	Repos   map[string]string `json:"repos,omitempty"` // repo → the highest role on it
}

// RoleBinding is the roles a subject ("user:NAME", "robot:NAME",
// "pipeline:NAME") has on a repo or the cluster.
type RoleBinding struct {
	Subject string   `json:"subject"`
	Roles   []string `json:"roles"`
}

// Token is a token just issued. It is shown once: the server keeps only
// its hash.
type Token struct {
	Token   string `json:"token"`
	Subject string `json:"subject"`
	Expires string `json:"expires,omitempty"` // RFC 3339; empty: never
}
