package spec

import (
	"fmt"
	"net/url"
	"regexp"

	"github.com/tuskdata/tusk/internal/tusk"
)

// nameRE is what repo, branch, project and input names must look like.
// Pipeline names must also start with a letter or digit, as the names of
// the Kubernetes objects made from them must.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// maxNameLen is the longest pipeline name: its workers' Kubernetes names
// must fit in 63 characters.
const maxNameLen = 63

// Validate fills in the defaults of p, as Parse does, then checks it. The
// error, of kind tusk.KindInvalid, names the first problem found, where it
// is, and what to do about it. Validate rejects any field Tusk does not
// support yet rather than ignoring it.
func Validate(p *Pipeline) error {
	if err := validate(p); err != nil {
		where := "pipeline spec"
		if p.Name() != "" {
			where = fmt.Sprintf("pipeline %q", p.Name())
		}
		return tusk.Errorf(tusk.KindInvalid, "%s: %v", where, err)
	}
	return nil
}

// validate is Validate without the name of the pipeline in the error.
func validate(p *Pipeline) error {
	setDefaults(p)
	return check(p)
}

func check(p *Pipeline) error {
	if err := checkUnsupported(p); err != nil {
		return err
	}
	if err := checkName(p.Name(), "pipeline.name"); err != nil {
		return err
	}
	if first := p.Name()[0]; first == '_' || first == '-' {
		return errorAt("pipeline.name", "is %q, which starts with %q; start it with a letter or digit", p.Name(), first)
	}
	if len(p.Name()) > maxNameLen {
		return errorAt("pipeline.name", "is %d characters long; use at most %d", len(p.Name()), maxNameLen)
	}
	if p.Pipeline.Project != nil {
		if err := checkProject(p.Pipeline.Project.Name, "pipeline.project.name"); err != nil {
			return err
		}
	}
	if err := checkTransform(p.Transform); err != nil {
		return err
	}
	if err := checkPod(p); err != nil {
		return err
	}
	if p.Spout != nil {
		if err := checkSpout(p); err != nil {
			return err
		}
		if p.S3Out {
			return errorAt("s3_out", "is set on a spout, which writes its output repo itself (tusk put file); remove it")
		}
	}
	if p.Input == nil && p.Spout == nil {
		return errorAt("input", `is missing; add an input such as {"pfs": {"repo": "images", "glob": "/*"}}`)
	}
	if p.Input != nil {
		if err := checkInput(p.Input, "input"); err != nil {
			return err
		}
	}
	if p.Transform != nil && p.Transform.DatumBatching && (p.S3Out || hasS3Input(p.Input)) {
		return errorAt("transform.datum_batching", `is not supported yet by Tusk with S3 inputs or s3_out; remove datum_batching, or read the files under /pfs and write /pfs/out without "s3"`)
	}
	if p.Service != nil {
		if err := checkService(p); err != nil {
			return err
		}
	}
	if err := checkName(p.OutputBranch, "output_branch"); err != nil {
		return err
	}
	if p.DatumTries < 1 {
		return errorAt("datum_tries", "is %d; use 1 or more attempts, or leave it out for %d", p.DatumTries, DefaultDatumTries)
	}
	if p.ReprocessSpec != ReprocessUntilSuccess && p.ReprocessSpec != ReprocessEveryJob {
		return errorAt("reprocess_spec", "is %q; use %q or %q", p.ReprocessSpec, ReprocessUntilSuccess, ReprocessEveryJob)
	}
	if d := p.DatumSetSpec; d != nil {
		if d.Number < 0 || d.SizeBytes < 0 || d.PerWorker < 0 {
			return errorAt("datum_set_spec", "has a negative number, size_bytes or per_worker; use 0 or more")
		}
		if d.PerWorker > 0 && (d.Number > 0 || d.SizeBytes > 0) {
			return errorAt("datum_set_spec", "combines per_worker with number or size_bytes; keep one")
		}
	}
	if p.DatumTimeout < 0 {
		return errorAt("datum_timeout", "is negative; use a positive duration such as \"10m\"")
	}
	if p.JobTimeout < 0 {
		return errorAt("job_timeout", "is negative; use a positive duration such as \"1h\"")
	}
	if r := p.ResourceRequests; r != nil && r.Pids != 0 {
		return errorAt("resource_requests.pids", "is set; a number of processes is a limit only, so set resource_limits.pids instead")
	}
	if r := p.ResourceLimits; r != nil && r.Pids < 0 {
		return errorAt("resource_limits.pids", "is %d; use a positive number of processes and threads, or leave it out for the runner's default", r.Pids)
	}
	return checkEgress(p.Egress)
}

func checkName(name, path string) error {
	if name == "" {
		return errorAt(path, "is missing; give it a name made of letters, digits, \"_\" and \"-\"")
	}
	if !nameRE.MatchString(name) {
		return errorAt(path, "is %q, which is not a valid name; use only letters, digits, \"_\" and \"-\"", name)
	}
	return nil
}

func checkTransform(t *Transform) error {
	if t == nil {
		return errorAt("transform", `is missing; add one such as {"image": "ubuntu:20.04", "cmd": ["sh"], "stdin": ["..."]}`)
	}
	if len(t.Cmd) == 0 {
		return errorAt("transform.cmd", `is missing; give the command to run as a list, such as ["python3", "/app/main.py"]`)
	}
	if t.Cmd[0] == "" {
		return errorAt("transform.cmd[0]", "is empty; it must name the program to run")
	}
	mounts := map[string]int{}
	for i, s := range t.Secrets {
		at := fmt.Sprintf("transform.secrets[%d]", i)
		if err := checkSecretRef(s, at); err != nil {
			return err
		}
		if s.MountPath == "" {
			continue
		}
		if first, dup := mounts[s.MountPath]; dup {
			return errorAt(at+".mount_path", "is %q, as is transform.secrets[%d].mount_path; give each secret a directory of its own", s.MountPath, first)
		}
		mounts[s.MountPath] = i
	}
	return nil
}

// envNameRE is the name of an environment variable.
var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func checkSecretRef(s SecretRef, path string) error {
	switch {
	case s.Name == "":
		return errorAt(path+".name", "is missing; name a secret made with tusk create secret")
	case s.MountPath != "":
		if err := checkMountPath(s.MountPath, path+".mount_path"); err != nil {
			return err
		}
		if s.EnvVar == "" && s.Key == "" {
			return nil
		}
	}
	switch {
	case s.EnvVar == "" || s.Key == "":
		return errorAt(path, "needs both key (the secret's key) and env_var (the variable that holds its value), or mount_path (a directory where each key is a file)")
	case !envNameRE.MatchString(s.EnvVar):
		return errorAt(path+".env_var", "is %q, which is not a variable name; use letters, digits and '_', not starting with a digit", s.EnvVar)
	}
	return nil
}

func checkEgress(e *Egress) error {
	if e == nil {
		return nil
	}
	target := e.URL
	if e.ObjectStorage != nil {
		if e.URL != "" {
			return errorAt("egress", `sets both "URL" and "object_storage"; keep one`)
		}
		target = e.ObjectStorage.URL
	}
	if target == "" {
		return errorAt("egress", `has no URL; set "URL" to an s3:// or file:// URL`)
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "s3" && u.Scheme != "file") {
		return errorAt("egress", "has the URL %q, which Tusk cannot egress to; use an s3:// or file:// URL", target)
	}
	return nil
}

// DefaultProject is the one project Tusk has so far, which every repo and
// pipeline belongs to.
const DefaultProject = "default"

// checkProject refuses a project other than the default one, for
// pipelines and cron inputs, which are all in the default project so
// far: a field Tusk read and then ignored would make a pipeline read or
// write other data than its spec says. A pfs input may read a repo of
// any project.
func checkProject(name, path string) error {
	if err := checkName(name, path); err != nil {
		return err
	}
	if name != DefaultProject {
		return errorAt(path, "is %q; Tusk has only the %q project so far: remove the field or set it to %q", name, DefaultProject, DefaultProject)
	}
	return nil
}
