package datum

import (
	"errors"

	"github.com/tuskdata/tusk/internal/pps/spec"
)

// A File is one file of an input commit.
type File struct {
	Path string // absolute and clean, such as "/a/b.txt"
	Hash string // content hash
	Size int64
}

// A Lister lists the files of the commit a PFS input refers to: in.Commit,
// on branch in.Branch of repo in.Repo (in project in.Project, if set). For
// a cron input, in is the PFS input through which the pipeline reads the
// cron repo. The files may come in any order; directories are implied by
// file paths.
type Lister interface {
	Files(in *spec.PFSInput) ([]File, error)
}

// ListerFunc adapts a function to the Lister interface.
type ListerFunc func(in *spec.PFSInput) ([]File, error)

// Files calls f(in).
func (f ListerFunc) Files(in *spec.PFSInput) ([]File, error) { return f(in) }

// An Input is one item of a datum: a path matched by the glob of a PFS
// input, with the files under it.
type Input struct {
	Name       string // input name: the data appears under /pfs/<Name>
	Project    string // project of Repo, empty for the default
	Repo       string
	Branch     string
	Commit     string
	Glob       string
	Path       string // "/" for the whole repo, "/dir/" for a directory, "/a.txt" for a file
	Files      []File // the files under Path, sorted by path; shared, do not modify
	JoinOn     string // join key, from the input's join_on template
	GroupBy    string // group key, from the input's group_by template
	OuterJoin  bool
	Lazy       bool
	S3         bool // served as a bucket, not laid out as files
	EmptyFiles bool
	Reference  bool // the content of Files is left out of the datum hash
}

// A Datum is one unit of work: one item of each input it combines.
type Datum struct {
	Inputs []Input
	// Key orders the datums of an input tree: their keys sort (bytewise)
	// as Iterate yields them. Like ID it does not depend on content, so a
	// datum keeps its key from one commit to the next.
	Key string
}

// Iterate calls fn for each datum of the input tree in, in order, and stops
// at the first error, which it returns. A nil tree has no datums. The tree
// must have passed spec.Validate, so that default names and branches are
// filled in.
func Iterate(in *spec.Input, l Lister, fn func(Datum) error) error {
	switch {
	case in == nil:
		return nil
	case in.Cross != nil:
		lists, err := listAll(flattenCross(in.Cross), l)
		if err != nil || len(lists) == 0 {
			return err
		}
		return cross(lists, nil, nil, func(inputs []Input, keys []string) error { return fn(product(inputs, keys)) })
	case in.Union != nil:
		// The fingerprints of the datums of all children but the last,
		// which no later child can repeat: no child repeats its own.
		seen := map[Fingerprint]struct{}{}
		for i, child := range in.Union {
			last := i == len(in.Union)-1
			err := Iterate(child, l, func(d Datum) error {
				f := FingerprintOf(ID(d))
				if _, dup := seen[f]; dup {
					return nil
				}
				if !last {
					seen[f] = struct{}{}
				}
				d.Key = tuple(childKey(i), d.Key)
				return fn(d)
			})
			if err != nil {
				return err
			}
		}
		return nil
	}
	datums, err := list(in, l)
	if err != nil {
		return err
	}
	for _, d := range datums {
		if err := fn(d); err != nil {
			return err
		}
	}
	return nil
}

// Datums returns all the datums of the input tree in, in order.
func Datums(in *spec.Input, l Lister) ([]Datum, error) {
	var datums []Datum
	err := Iterate(in, l, func(d Datum) error {
		datums = append(datums, d)
		return nil
	})
	return datums, err
}

// list returns the datums of a PFS, cron, join or group input, or collects
// those of a cross or union.
func list(in *spec.Input, l Lister) ([]Datum, error) {
	switch {
	case in == nil:
		return nil, nil
	case in.PFS != nil:
		return pfsDatums(in.PFS, l)
	case in.Cron != nil:
		return pfsDatums(cronPFS(in.Cron), l)
	case in.Join != nil:
		lists, err := listAll(in.Join, l)
		if err != nil {
			return nil, err
		}
		return join(lists), nil
	case in.Group != nil:
		lists, err := listAll(in.Group, l)
		if err != nil {
			return nil, err
		}
		return group(lists), nil
	case in.Cross != nil, in.Union != nil:
		return Datums(in, l)
	}
	return nil, errors.New(`input sets none of "pfs", "cron", "cross", "union", "join" or "group"; check the spec with spec.Validate first`)
}

// listAll returns the datums of each of inputs.
func listAll(inputs []*spec.Input, l Lister) ([][]Datum, error) {
	lists := make([][]Datum, len(inputs))
	for i, in := range inputs {
		datums, err := list(in, l)
		if err != nil {
			return nil, err
		}
		lists[i] = datums
	}
	return lists, nil
}

// PFS returns the PFS input of a tree that is one PFS or cron input (for a
// cron input, the PFS input through which the pipeline reads its repo),
// or nil for any other tree.
func PFS(in *spec.Input) *spec.PFSInput {
	switch {
	case in == nil:
		return nil
	case in.PFS != nil:
		return in.PFS
	case in.Cron != nil:
		return cronPFS(in.Cron)
	}
	return nil
}

// cronPFS is the PFS input through which a pipeline reads its cron repo.
func cronPFS(c *spec.CronInput) *spec.PFSInput {
	return &spec.PFSInput{
		Project:  c.Project,
		Name:     c.Name,
		Repo:     c.Repo,
		RepoType: spec.UserRepoType,
		Branch:   spec.DefaultBranch,
		Commit:   c.Commit,
		Glob:     spec.CronGlob,
	}
}
