package auth

import (
	"strings"

	"github.com/tuskdata/tusk/internal/grant"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Roles, levels and grants are package grant's, named here too for the
// server, which checks them with the roles it keeps.
const (
	RepoReader   = grant.RepoReader
	RepoWriter   = grant.RepoWriter
	RepoOwner    = grant.RepoOwner
	ClusterAdmin = grant.ClusterAdmin
)

// A Level is what a role allows on a repo.
type Level = grant.Level

// The levels of access to a repo.
const (
	None  = grant.None
	Read  = grant.Read
	Write = grant.Write
	Own   = grant.Own
)

// LevelOf returns what a repo role allows.
func LevelOf(role string) Level { return grant.LevelOf(role) }

// RoleOf returns the repo role of a level.
func RoleOf(l Level) string { return grant.RoleOf(l) }

// Cluster is the resource clusterAdmin is bound on.
var Cluster = meta.Resource{Kind: "cluster"}

// Repo returns the resource of a project's repo.
func Repo(project, name string) meta.Resource {
	return meta.Resource{Kind: "repo", Project: project, Name: name}
}

// RepoKey is how Grants name a project's repo: its name in the default
// project, "project/name" in another (no name has a '/').
func RepoKey(project, name string) string {
	if project == tusk.DefaultProject || project == "" {
		return name
	}
	return project + "/" + name
}

// ParseRoles checks a comma-separated list of roles for a kind of
// resource; "none" (or nothing) is no role.
func ParseRoles(kind, list string) ([]string, error) {
	var out []string
	for _, r := range strings.Split(list, ",") {
		r = strings.TrimSpace(r)
		switch {
		case r == "" || r == "none":
		case kind == "repo" && LevelOf(r) != None, kind == "cluster" && r == ClusterAdmin:
			out = append(out, r)
		case kind == "repo":
			return nil, tusk.Errorf(tusk.KindInvalid, "%q is not a repo role: want repoReader, repoWriter, repoOwner or none", r)
		default:
			return nil, tusk.Errorf(tusk.KindInvalid, "%q is not a cluster role: want clusterAdmin or none", r)
		}
	}
	return out, nil
}

// Grants are what one subject may do.
type Grants = grant.Grants

func grantsOf(subject string, bs []meta.RoleBinding) Grants {
	g := Grants{Subject: subject, Repos: map[string]Level{}}
	for _, b := range bs {
		switch b.Resource.Kind {
		case "cluster":
			g.Admin = g.Admin || b.Role == ClusterAdmin
		case "repo":
			k := RepoKey(b.Resource.Project, b.Resource.Name)
			g.Repos[k] = max(g.Repos[k], LevelOf(b.Role))
		}
	}
	return g
}
