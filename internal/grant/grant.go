// Package grant says what a subject may do on repos: the levels of
// Pachyderm's repo roles and a subject's grants. It holds no store, so
// that what checks grants (the S3 gateway, also inside a worker) need not
// depend on where roles are kept (package auth).
package grant

// Role names, as in Pachyderm.
const (
	RepoReader   = "repoReader"
	RepoWriter   = "repoWriter"
	RepoOwner    = "repoOwner"
	ClusterAdmin = "clusterAdmin"
)

// A Level is what a role allows on a repo; each includes the ones below.
type Level int

// The levels of access to a repo.
const (
	None Level = iota
	Read
	Write
	Own
)

var repoRoles = map[string]Level{RepoReader: Read, RepoWriter: Write, RepoOwner: Own}

// LevelOf returns what a repo role allows.
func LevelOf(role string) Level { return repoRoles[role] }

// RoleOf returns the repo role of a level.
func RoleOf(l Level) string {
	for r, rl := range repoRoles {
		if rl == l {
			return r
		}
	}
	return ""
}

func (l Level) String() string {
	if r := RoleOf(l); r != "" {
		return r
	}
	return "none"
}

// Grants are what one subject may do.
type Grants struct {
	Subject string
	Admin   bool
	Repos   map[string]Level // RepoKey → the highest level of its roles
}

// Can reports whether the grants allow level on repo (a RepoKey).
func (g Grants) Can(repo string, l Level) bool { return g.Admin || g.Repos[repo] >= l }
