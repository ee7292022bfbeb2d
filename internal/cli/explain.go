package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

// explanation says why a datum of a job ran or was skipped, from the
// records Tusk keeps: the same datum (same input paths) in the job before,
// the hashes of its input files then and now, the pipeline's version and
// salt, and the datum's attempts.
type explanation struct {
	Pipeline string `json:"pipeline"`
	Job      string `json:"job"`
	Datum    string `json:"datum"`
	State    string `json:"state"`
	// Ran says whether the datum's code ran in this job.
	Ran bool `json:"ran"`
	// Before is the latest earlier job that had this datum, if any, and
	// its state there.
	Before      string         `json:"before,omitempty"`
	BeforeState string         `json:"before_state,omitempty"`
	Changed     []changedInput `json:"changed_files,omitempty"`
	Reasons     []string       `json:"reasons"`
}

// changedInput is an input file whose content differs from the job before.
type changedInput struct {
	Input   string `json:"input"`
	Path    string `json:"path"`
	OldHash string `json:"old_hash,omitempty"` // empty: the file was not there
	NewHash string `json:"new_hash"`
}

// explainDepth is how many earlier jobs explain looks through for the
// datum.
const explainDepth = 50

func newExplainDatumCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "datum <pipeline>@<job-id> <datum-id>",
		Short: "Say why a datum ran or was skipped",
		Long: `Say why a datum of a job ran or was skipped: whether an earlier job had the
same datum (the same input paths), which of its input files changed since
then (with their hashes), whether the pipeline's spec or salt changed, and
whether earlier attempts failed.

` + outputHelp + ".",
		Example: "  tusk explain datum edges@0f6c2e8a5b3d4c1e9a7f8b6d5c4e3a21 9d1f…",
		Args:    exactArgs(2, "pipeline@job-id and a datum ID"),
		RunE: g.onServer(&output, func(ctx context.Context, c *client.Client, p printer, args []string) error {
			pipeline, job, err := splitJobArg(args[0])
			if err != nil {
				return err
			}
			x, err := explainDatum(ctx, c, pipeline, job, args[1])
			if err != nil {
				return err
			}
			if p.json {
				return p.object(x)
			}
			tw := p.fields()
			row(tw, "Datum:", x.Datum)
			row(tw, "State:", strings.ToLower(x.State))
			if x.Before != "" {
				row(tw, "Job before:", x.Before+" ("+strings.ToLower(x.BeforeState)+")")
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			for _, r := range x.Reasons {
				if _, err := fmt.Fprintf(p.out, "- %s\n", r); err != nil {
					return err
				}
			}
			return nil
		}),
	}
	addOutputFlag(cmd, &output)
	return cmd
}

func explainDatum(ctx context.Context, c *client.Client, pipeline, job, id string) (explanation, error) {
	d, err := c.InspectDatum(ctx, pipeline, job, id)
	if err != nil {
		return explanation{}, err
	}
	j, err := c.InspectJob(ctx, pipeline, job)
	if err != nil {
		return explanation{}, err
	}
	x := explanation{Pipeline: pipeline, Job: job, Datum: d.ID, State: d.State, Ran: d.State != tusk.DatumSkipped}
	// The latest earlier job with this datum.
	jobs, err := c.ListJobs(ctx, pipeline, "", 0)
	if err != nil {
		return x, err
	}
	var before tusk.JobInfo
	var old tusk.DatumInfo
	looked := 0
	for _, e := range jobs {
		if !e.Created.Before(j.Created) || e.ID == job {
			continue
		}
		if od, err := c.InspectDatum(ctx, pipeline, e.ID, id); err == nil {
			before, old = e, od
			break
		} else if !errors.Is(err, tusk.ErrNotFound) {
			return x, err
		}
		if looked++; looked == explainDepth {
			break
		}
	}
	if !x.Ran {
		x.Reasons = append(x.Reasons, fmt.Sprintf("skipped: an earlier job processed it with the same input files and spec (datum hash %s), so its output was kept", short(d.Hash)))
	}
	if before.ID == "" {
		if x.Ran {
			x.Reasons = append(x.Reasons, "ran: no earlier job had a datum over these input paths (a new file, or the pipeline's first job)")
		}
		explainAttempts(&x, d)
		return x, nil
	}
	x.Before, x.BeforeState = before.ID, old.State
	if !x.Ran {
		return x, nil
	}
	changed, err := changedInputs(ctx, c, old, d)
	if err != nil {
		return x, err
	}
	x.Changed = changed
	for _, ch := range changed {
		if ch.OldHash == "" {
			x.Reasons = append(x.Reasons, fmt.Sprintf("ran: input %s has a file it did not have in job %s: %s (hash %s)", ch.Input, before.ID, ch.Path, short(ch.NewHash)))
		} else {
			x.Reasons = append(x.Reasons, fmt.Sprintf("ran: input file %s:%s changed since job %s (hash %s, then %s)", ch.Input, ch.Path, before.ID, short(ch.NewHash), short(ch.OldHash)))
		}
	}
	if before.PipelineVersion != j.PipelineVersion {
		x.Reasons = append(x.Reasons, fmt.Sprintf("the pipeline's spec changed: version %d, then %d", j.PipelineVersion, before.PipelineVersion))
	}
	if before.Salt != j.Salt {
		x.Reasons = append(x.Reasons, "the pipeline's salt changed (update pipeline --reprocess, or a new salt): every datum runs again")
	}
	if old.State != tusk.DatumSuccess && old.State != tusk.DatumSkipped {
		x.Reasons = append(x.Reasons, fmt.Sprintf("ran again: in job %s it was %s", before.ID, strings.ToLower(old.State)))
	}
	if len(x.Reasons) == 0 {
		x.Reasons = append(x.Reasons, fmt.Sprintf("ran: job %s had it with hash %s, now %s", before.ID, short(old.Hash), short(d.Hash)))
	}
	explainAttempts(&x, d)
	return x, nil
}

// explainAttempts adds what the datum's attempts say.
func explainAttempts(x *explanation, d tusk.DatumInfo) {
	if d.Attempts > 1 {
		x.Reasons = append(x.Reasons, fmt.Sprintf("it took %d attempts in this job: the earlier ones failed or their worker was lost", d.Attempts))
	}
	if d.Reason != "" {
		x.Reasons = append(x.Reasons, "its last attempt: "+d.Reason)
	}
}

// changedInputs compares the content of the datum's input files in the
// old datum's commits and in the new one's.
func changedInputs(ctx context.Context, c *client.Client, old, cur tusk.DatumInfo) ([]changedInput, error) {
	was := map[string]tusk.DatumInput{}
	for _, in := range old.Inputs {
		was[in.Name+"\x00"+in.Path] = in
	}
	var out []changedInput
	for _, in := range cur.Inputs {
		if in.Path == "" {
			continue // an input with no file in this datum (a cron tick, an empty join side)
		}
		now, err := fileHash(ctx, c, in)
		if err != nil {
			return nil, err
		}
		prev, ok := was[in.Name+"\x00"+in.Path]
		then := ""
		if ok {
			if then, err = fileHash(ctx, c, prev); err != nil {
				return nil, err
			}
		}
		if then != now {
			out = append(out, changedInput{Input: in.Name, Path: in.Path, OldHash: then, NewHash: now})
		}
	}
	return out, nil
}

// fileHash is the hash of an input's file in its commit ("" if absent).
func fileHash(ctx context.Context, c *client.Client, in tusk.DatumInput) (string, error) {
	fi, err := c.InspectFile(ctx, in.Source(in.Path))
	if errors.Is(err, tusk.ErrNotFound) {
		return "", nil
	}
	return fi.Hash, err
}

// short is a hash cut for people to read.
func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
