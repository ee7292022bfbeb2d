package datum

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/tuskdata/tusk/internal/glob"
	"github.com/tuskdata/tusk/internal/pps/spec"
)

// pfsDatums lists the files of a PFS input and returns one datum per path
// its glob matches.
func pfsDatums(in *spec.PFSInput, l Lister) ([]Datum, error) {
	pattern := glob.Clean(in.Glob)
	g, err := glob.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("input %q: %w", in.Name, err)
	}
	files, err := l.Files(in)
	if err != nil {
		return nil, fmt.Errorf("list the files of input %q (repo %s, branch %s, commit %s): %w",
			in.Name, in.Repo, in.Branch, in.Commit, err)
	}
	files, err = sortFiles(files)
	if err != nil {
		return nil, fmt.Errorf("input %q: %w", in.Name, err)
	}
	var datums []Datum
	for _, m := range matches(g, pattern == "/", files) {
		item := Input{
			Name:       in.Name,
			Project:    in.Project,
			Repo:       in.Repo,
			Branch:     in.Branch,
			Commit:     in.Commit,
			Glob:       pattern,
			Path:       m.path,
			Files:      m.files,
			OuterJoin:  in.OuterJoin,
			Lazy:       in.Lazy,
			S3:         in.S3,
			EmptyFiles: in.EmptyFiles,
			Reference:  in.Reference,
		}
		if in.JoinOn != "" {
			item.JoinOn = glob.Expand(in.JoinOn, m.captures)
		}
		if in.GroupBy != "" {
			item.GroupBy = glob.Expand(in.GroupBy, m.captures)
		}
		datums = append(datums, Datum{Inputs: []Input{item}, Key: m.path})
	}
	return datums, nil
}

// A match is a path a glob matched, with its captures and its files.
type match struct {
	path     string
	captures []string
	files    []File
}

// matches applies g to the paths of files and of the directories they
// imply, and returns the matches in path order. Directory paths end in
// "/", which is not part of what g sees. The root "/" is only matched by
// the glob "/" itself, and only if there are files.
func matches(g *glob.Pattern, root bool, files []File) []match {
	if root {
		if len(files) == 0 {
			return nil
		}
		return []match{{path: "/", captures: []string{"/"}, files: files}}
	}
	var found []match
	try := func(p string) {
		if caps, ok := g.Capture(strings.TrimSuffix(p, "/")); ok {
			found = append(found, match{path: p, captures: caps})
		}
	}
	dirs := map[string]bool{}
	for _, f := range files {
		try(f.Path)
		for dir := path.Dir(f.Path); dir != "/" && !dirs[dir]; dir = path.Dir(dir) {
			dirs[dir] = true
			try(dir + "/")
		}
	}
	slices.SortFunc(found, func(a, b match) int { return strings.Compare(a.path, b.path) })
	for i := range found {
		found[i].files = under(files, found[i].path)
	}
	return found
}

// under returns the files at or below p, a file path or a directory path
// ending in "/", from files sorted by path.
func under(files []File, p string) []File {
	lo := sort.Search(len(files), func(i int) bool { return files[i].Path >= p })
	hi := lo
	for hi < len(files) && (files[hi].Path == p || strings.HasSuffix(p, "/") && strings.HasPrefix(files[hi].Path, p)) {
		hi++
	}
	return files[lo:hi:hi]
}

// sortFiles checks that the paths of files are canonical and unique and
// returns the files sorted by path, sorting a copy if need be.
func sortFiles(files []File) ([]File, error) {
	for _, f := range files {
		if !strings.HasPrefix(f.Path, "/") || f.Path == "/" || path.Clean(f.Path) != f.Path {
			return nil, fmt.Errorf("file path %q is not canonical; paths must be absolute and clean, such as /a/b.txt", f.Path)
		}
	}
	byPath := func(a, b File) int { return strings.Compare(a.Path, b.Path) }
	if !slices.IsSortedFunc(files, byPath) {
		files = slices.Clone(files)
		slices.SortFunc(files, byPath)
	}
	for i := 1; i < len(files); i++ {
		if files[i].Path == files[i-1].Path {
			return nil, fmt.Errorf("file %q is listed twice; list each file once", files[i].Path)
		}
	}
	return files, nil
}
