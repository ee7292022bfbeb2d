package spec

import "github.com/tuskdata/tusk/internal/glob"

// Defaults that Pachyderm 2.x applies when a spec leaves a field out.
const (
	// DefaultImage is the image a transform runs in when it names none:
	// Pachyderm's default, which has bash and apt-get.
	DefaultImage = "ubuntu:20.04"
	// DefaultBranch is the input and output branch when none is named.
	DefaultBranch = "master"
	// DefaultDatumTries is how many times a datum is attempted in a job.
	DefaultDatumTries = 3
	// UserRepoType is the type of the repos users create.
	UserRepoType = "user"
	// CronGlob is the glob through which a pipeline reads its cron repo.
	CronGlob = "/*"
)

// Values of Pipeline.ReprocessSpec.
const (
	// ReprocessUntilSuccess skips datums that succeeded in an earlier job.
	ReprocessUntilSuccess = "until_success"
	// ReprocessEveryJob processes every datum in every job.
	ReprocessEveryJob = "every_job"
)

// setDefaults fills in the fields of p that Pachyderm fills in at create
// time, except cron start times and the salt, which depend on the moment
// of creation and are left to the caller.
func setDefaults(p *Pipeline) {
	if p.Transform != nil && p.Transform.Image == "" {
		p.Transform.Image = DefaultImage
	}
	Walk(p.Input, func(in *Input) {
		if pfs := in.PFS; pfs != nil {
			if pfs.Name == "" {
				pfs.Name = pfs.Repo
			}
			if pfs.Branch == "" {
				pfs.Branch = DefaultBranch
			}
			if pfs.RepoType == "" {
				pfs.RepoType = UserRepoType
			}
			if pfs.Glob != "" {
				pfs.Glob = glob.Clean(pfs.Glob)
			}
		}
		if cron := in.Cron; cron != nil && cron.Repo == "" && cron.Name != "" {
			cron.Repo = p.Name() + "_" + cron.Name
		}
	})
	if p.ParallelismSpec == nil {
		p.ParallelismSpec = &ParallelismSpec{}
	}
	if p.ParallelismSpec.Constant == 0 {
		p.ParallelismSpec.Constant = 1
	}
	if p.DatumTries == 0 {
		p.DatumTries = DefaultDatumTries
	}
	if p.OutputBranch == "" {
		p.OutputBranch = DefaultBranch
	}
	if p.ReprocessSpec == "" {
		p.ReprocessSpec = ReprocessUntilSuccess
	}
}
