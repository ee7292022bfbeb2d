package tusk

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$`)

// ValidateRepoName checks a repo name: letters, digits, '_' and '-',
// starting with a letter or digit, at most 63 characters.
func ValidateRepoName(name string) error {
	if !nameRE.MatchString(name) {
		return Errorf(KindInvalid, "invalid repo name %q: use letters, digits, '_' and '-', start with a letter or digit, at most 63 characters", name)
	}
	return nil
}

// ValidateProjectName checks a project name with the same rules as repo
// names.
func ValidateProjectName(name string) error {
	if !nameRE.MatchString(name) {
		return Errorf(KindInvalid, "invalid project name %q: use letters, digits, '_' and '-', start with a letter or digit, at most 63 characters", name)
	}
	return nil
}

// ValidateBranchName checks a branch name with the same rules as repo
// names; a name that looks like a commit ID is refused.
func ValidateBranchName(name string) error {
	if !nameRE.MatchString(name) || IsCommitID(name) {
		return Errorf(KindInvalid, "invalid branch name %q: use letters, digits, '_' and '-', start with a letter or digit, at most 63 characters, and not 32 hex digits", name)
	}
	return nil
}

// IsCommitID reports whether s has the form of a commit ID (32 lower-case
// hex digits).
func IsCommitID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return false
		}
	}
	return true
}

// CleanPath validates a file path and returns its canonical form: a
// leading '/', no trailing '/', no empty elements. Paths are UTF-8; "."
// and ".." elements, NUL and other control characters and invalid UTF-8
// are refused with an error that names the rule. "/" is the root.
func CleanPath(p string) (string, error) {
	if !utf8.ValidString(p) {
		return "", Errorf(KindInvalid, "path %q is not valid UTF-8", p)
	}
	for _, r := range p {
		if unicode.IsControl(r) {
			return "", Errorf(KindInvalid, "path %q contains the control character %U; paths may not contain NUL or other control characters", p, r)
		}
	}
	var parts []string
	for _, el := range strings.Split(p, "/") {
		switch el {
		case "":
			continue
		case ".", "..":
			return "", Errorf(KindInvalid, "path %q contains a %q element; paths may not contain '.' or '..' elements", p, el)
		}
		parts = append(parts, el)
	}
	return "/" + strings.Join(parts, "/"), nil
}

// Ref is a parsed reference "repo@branch-or-id[ancestry][:path]".
type Ref struct {
	// Project is the repo's; empty is DefaultProject.
	Project string
	Repo    string
	Branch  string // set when the reference names a branch
	ID      string // set when it names a commit ID
	// Ancestry: Up > 0 walks that many parents; At > 0 selects the At-th
	// commit of the history, counted from the first.
	Up, At int
	Path   string
	// HasPath reports whether ":path" was given.
	HasPath bool
}

// ProjectName is the project of the reference's repo.
func (r Ref) ProjectName() string {
	if r.Project == "" {
		return DefaultProject
	}
	return r.Project
}

// String formats the reference without its path.
func (r Ref) String() string {
	s := qualified(r.Project, r.Repo) + "@"
	if r.Branch != "" {
		s += r.Branch
		if r.ID != "" {
			s += "=" + r.ID
		}
	} else {
		s += r.ID
	}
	if r.At > 0 {
		s += "." + strconv.Itoa(r.At)
	}
	if r.Up > 0 {
		s += "~" + strconv.Itoa(r.Up)
	}
	return s
}

// ParseRef parses "repo", "repo@master", "repo@<id>", "repo@master^",
// "repo@master^2", "repo@master~3", "repo@master.1", "repo@b=<id>", each
// optionally followed by ":/path". A bare repo means its master branch.
// The repo may be "project/repo", as pachctl takes it, which sets
// Project.
func ParseRef(s string) (Ref, error) {
	var r Ref
	bad := func(why string) (Ref, error) {
		return Ref{}, Errorf(KindInvalid, "invalid reference %q: %s; expected repo@branch[:/path] or repo@commit-id[:/path]", s, why)
	}
	head, path, hasPath := strings.Cut(s, ":")
	repo, ref, hasRef := strings.Cut(head, "@")
	if project, name, ok := strings.Cut(repo, "/"); ok {
		if err := ValidateProjectName(project); err != nil {
			return bad("bad project name")
		}
		r.Project, repo = project, name
	}
	r.Repo = repo
	if err := ValidateRepoName(repo); err != nil {
		return bad("bad repo name")
	}
	if !hasRef || ref == "" {
		ref = "master"
	}
	// Ancestry suffixes.
	base := ref
	if i := strings.IndexAny(ref, "^~."); i >= 0 {
		base = ref[:i]
		rest := ref[i:]
		for rest != "" {
			op := rest[0]
			rest = rest[1:]
			j := 0
			for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
				j++
			}
			n := 1
			if j > 0 {
				v, err := strconv.Atoi(rest[:j])
				if err != nil {
					return bad("bad ancestry number")
				}
				n = v
			} else if op != '^' {
				return bad("'~' and '.' need a number")
			}
			rest = rest[j:]
			switch op {
			case '^', '~':
				if n > math.MaxInt-r.Up {
					return bad("too many ancestors")
				}
				r.Up += n
			case '.':
				if n < 1 || r.At > 0 || r.Up > 0 {
					return bad("'.N' counts from 1 and may appear once, before any '^' or '~'")
				}
				r.At = n
			default:
				return bad("unexpected character")
			}
		}
	}
	if b, id, ok := strings.Cut(base, "="); ok {
		r.Branch, r.ID = b, id
	} else if IsCommitID(base) {
		r.ID = base
	} else {
		r.Branch = base
	}
	if r.Branch == "" && r.ID == "" {
		return bad("name a branch or a commit ID after '@'")
	}
	if r.Branch != "" {
		if err := ValidateBranchName(r.Branch); err != nil {
			return bad("bad branch name")
		}
	}
	if r.ID != "" && !IsCommitID(r.ID) {
		return bad("a commit ID is 32 hex digits")
	}
	if hasPath {
		p, err := CleanPath(path)
		if err != nil {
			return Ref{}, err
		}
		r.Path, r.HasPath = p, true
	} else {
		r.Path = "/"
	}
	return r, nil
}
