package spec

import (
	"fmt"

	"github.com/robfig/cron/v3"

	"github.com/tuskdata/tusk/internal/glob"
)

// CronNever is the cron spec of an input that ticks only when asked to.
const CronNever = "never"

// checkInput checks the input tree rooted at in, found at path.
func checkInput(in *Input, path string) error {
	kinds := inputKinds(in)
	switch {
	case len(kinds) == 0:
		return errorAt(path, `is empty; set one of "pfs", "cron", "cross", "union", "join" or "group"`)
	case len(kinds) > 1:
		return errorAt(path, "sets both %q and %q; an input is exactly one of them, so combine several in a \"cross\" or \"union\"",
			kinds[0], kinds[1])
	}
	switch {
	case in.PFS != nil:
		return checkPFS(in.PFS, path+".pfs")
	case in.Cron != nil:
		return checkCron(in.Cron, path+".cron")
	}
	kind := kinds[0]
	children := in.Children()
	if len(children) == 0 {
		return errorAt(path+"."+kind, "is empty; list at least one input to %s", kind)
	}
	for i, child := range children {
		if child == nil {
			return errorAt(fmt.Sprintf("%s.%s[%d]", path, kind, i), "is null; write an input object")
		}
		if err := checkInput(child, fmt.Sprintf("%s.%s[%d]", path, kind, i)); err != nil {
			return err
		}
	}
	if kind == "union" {
		return nil
	}
	if err := checkKeys(children, path+"."+kind, kind); err != nil {
		return err
	}
	return checkUniqueNames(children, path+"."+kind)
}

// inputKinds lists the fields of in that are set.
func inputKinds(in *Input) []string {
	var kinds []string
	for _, k := range []struct {
		name string
		set  bool
	}{
		{"pfs", in.PFS != nil}, {"cron", in.Cron != nil}, {"cross", in.Cross != nil},
		{"union", in.Union != nil}, {"join", in.Join != nil}, {"group", in.Group != nil},
	} {
		if k.set {
			kinds = append(kinds, k.name)
		}
	}
	return kinds
}

func checkInputName(name, path string) error {
	if err := checkName(name, path); err != nil {
		return err
	}
	if name == "out" {
		return errorAt(path, `is "out", which is reserved for the output directory /pfs/out; choose another name`)
	}
	return nil
}

func checkPFS(in *PFSInput, path string) error {
	if err := checkUnsupportedPFS(in, path); err != nil {
		return err
	}
	if err := checkName(in.Repo, path+".repo"); err != nil {
		return err
	}
	if err := checkInputName(in.Name, path+".name"); err != nil {
		return err
	}
	if err := checkName(in.Branch, path+".branch"); err != nil {
		return err
	}
	if in.Project != "" {
		if err := checkName(in.Project, path+".project"); err != nil {
			return err
		}
	}
	if in.Lazy && in.EmptyFiles {
		return errorAt(path, "sets both lazy and empty_files; keep one")
	}
	if in.S3 {
		if err := checkS3Input(in, path); err != nil {
			return err
		}
	}
	if in.Glob == "" {
		return errorAt(path+".glob", `is missing; use "/" for one datum of the whole repo or "/*" for one per top-level file or directory`)
	}
	g, err := glob.Compile(in.Glob)
	if err != nil {
		return errorAt(path+".glob", "is invalid: %v", err)
	}
	if err := g.CheckTemplate(in.JoinOn); err != nil {
		return errorAt(path+".join_on", "is invalid: %v", err)
	}
	if err := g.CheckTemplate(in.GroupBy); err != nil {
		return errorAt(path+".group_by", "is invalid: %v", err)
	}
	return nil
}

func checkCron(in *CronInput, path string) error {
	if err := checkInputName(in.Name, path+".name"); err != nil {
		return err
	}
	if err := checkName(in.Repo, path+".repo"); err != nil {
		return err
	}
	if in.Project != "" {
		if err := checkProject(in.Project, path+".project"); err != nil {
			return err
		}
	}
	if in.Spec == "" {
		return errorAt(path+".spec", `is missing; use a schedule such as "@every 1m", "@daily", "*/10 * * * *" or %q`, CronNever)
	}
	if in.Spec == CronNever {
		return nil
	}
	if _, err := cron.ParseStandard(in.Spec); err != nil {
		return errorAt(path+".spec", "is %q, which is not a schedule (%v); use one such as \"@every 1m\", \"@daily\", \"*/10 * * * *\" or %q",
			in.Spec, err, CronNever)
	}
	return nil
}

// checkKeys checks that every input under a join or group (kind) has the
// key template that sorts it: join_on or group_by.
func checkKeys(children []*Input, path, kind string) error {
	field := map[string]string{"join": "join_on", "group": "group_by"}[kind]
	if field == "" {
		return nil
	}
	for i, child := range children {
		var err error
		Walk(child, func(in *Input) {
			switch {
			case err != nil:
			case in.Cron != nil:
				err = errorAt(fmt.Sprintf("%s[%d]", path, i), "holds cron input %q, which cannot be in a %s; cross it with the %s instead",
					in.Cron.Name, kind, kind)
			case in.PFS != nil && field == "join_on" && in.PFS.JoinOn == "",
				in.PFS != nil && field == "group_by" && in.PFS.GroupBy == "":
				err = errorAt(fmt.Sprintf("%s[%d]", path, i), "has input %q without %s; add one such as \"$1\", referring to a capture group of its glob",
					in.PFS.Name, field)
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// checkUniqueNames checks that no two children of a cross, join or group
// put inputs of the same name in a datum.
func checkUniqueNames(children []*Input, path string) error {
	owner := map[string]int{}
	for i, child := range children {
		for _, name := range datumNames(child) {
			if j, dup := owner[name]; dup && j != i {
				return errorAt(path, "has two inputs named %q (in elements %d and %d); set \"name\" on one of them to tell them apart",
					name, j, i)
			}
			owner[name] = i
		}
	}
	return nil
}

// datumNames lists the names of the inputs that can appear in one datum of
// in: those of all its leaves, except that only one side of a union is in
// any datum, so its sides may share names.
func datumNames(in *Input) []string {
	switch {
	case in.PFS != nil:
		return []string{in.PFS.Name}
	case in.Cron != nil:
		return []string{in.Cron.Name}
	}
	seen := map[string]bool{}
	var names []string
	for _, child := range in.Children() {
		for _, name := range datumNames(child) {
			if !seen[name] || in.Union == nil {
				names = append(names, name)
			}
			seen[name] = true
		}
	}
	return names
}

// checkS3Input checks an input served as a bucket: one datum of the whole
// repo, as in Pachyderm, and no file options.
func checkS3Input(in *PFSInput, path string) error {
	if in.Glob != "/" {
		return errorAt(path+".glob", `is %q, but an input with "s3": true is one bucket of the whole commit, one datum: use "/" (or read the files under /pfs without "s3")`, in.Glob)
	}
	if in.Lazy || in.EmptyFiles {
		return errorAt(path, `sets "s3" with lazy or empty_files, which are ways to lay out files under /pfs; an S3 input has none: keep "s3" alone`)
	}
	return nil
}

// hasS3Input reports whether an input of the tree in is served as a
// bucket.
func hasS3Input(in *Input) bool {
	found := false
	Walk(in, func(x *Input) { found = found || x.PFS != nil && x.PFS.S3 })
	return found
}
