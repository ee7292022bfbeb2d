package scheduler

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/fileset"
	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pfs"
	"github.com/tuskdata/tusk/internal/pps"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

// outputLease is how long a datum's staged output is protected from the
// garbage collector before its job commits it.
const outputLease = 7 * 24 * time.Hour

// Workers take datums in sets, as Pachyderm's do: a set is claimed in one
// transaction, its leases are renewed by one heartbeat, and its results
// are reported in one request, so that these costs are paid per set, not
// per datum. Without datum_set_spec.number, a set holds the queued datums
// (or, once none is queued, those whose lease ran out) divided by
// setsPerWorker sets per worker (or datum_set_spec.per_worker), at least
// 1 and at most maxSetSize: sets shrink as the queue drains, so that
// workers run out of work together. A claim from the cursor (cursor.go)
// estimates the queued datums; one from the head of the queue has the
// store count them and take the set in one statement (meta.SetSize).
// With datum_set_spec.size_bytes, a set takes datums, in order, until the
// size of their input files reaches it (at least one, at most number when
// that is given too, else maxSetSize).
const (
	setsPerWorker = 4
	maxSetSize    = 100
)

// maxLostLeases is how many times in a row a datum may lose its worker
// (the worker is killed, runs out of memory, or stops answering, so that
// its lease runs out) before it fails. Such a loss uses up none of the
// datum's datum_tries, which count failures of its command only; this
// bound stops a datum that kills every worker it runs on from doing so
// forever. A restart of the server costs nothing at all: see giveBack.
const maxLostLeases = 10

// NextTasks hands a set of datums of the pipeline's running job to a
// worker, waiting up to wait for one. It returns nil when there is none.
func (s *Scheduler) NextTasks(ctx context.Context, pipeline, worker string, wait time.Duration) ([]tusk.Task, error) {
	deadline := time.After(wait)
	for {
		signal := s.taskSignal(pipeline)
		tasks, failed, err := s.claim(ctx, pipeline, worker)
		s.workerSeen(pipeline)
		if err != nil || len(tasks) > 0 {
			return tasks, err
		}
		if failed {
			continue // more may be claimable
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-deadline:
			return nil, nil
		case <-signal:
		}
	}
}

// claim claims a set of datums for worker. A datum whose lease ran out
// (its worker was lost) is claimed again at no cost to its tries, unless
// that happened maxLostLeases times in a row: then it fails; failed says
// whether any did.
func (s *Scheduler) claim(ctx context.Context, pipeline, worker string) (tasks []tusk.Task, failed bool, err error) {
	// Volatile: after a power loss the datums simply run again. A queue:
	// workers claiming at once take different datums rather than
	// conflict (on PostgreSQL, whose serializable transactions failed one
	// another under a few concurrent claims). Reading the pipeline and its
	// job here at READ COMMITTED is safe: a datum claimed for a job that
	// ends or a pipeline that stops meanwhile is reported stale.
	err = s.db.UpdateQueue(ctx, func(tx *meta.Tx) error {
		tasks, failed = nil, false
		doc, jobDoc, err := tx.PipelineWork(ctx, project, pipeline)
		if err != nil {
			return err
		}
		r, err := pps.DecodePipeline(pipeline, doc)
		if err != nil || r.Stopped {
			return err
		}
		if jobDoc == nil {
			tasks, err = spoutTasks(r)
			return err
		}
		jobs, err := pps.DecodeJobs([][]byte{jobDoc})
		if err != nil || jobs[0].State != tusk.JobRunning {
			return err
		}
		j := jobs[0]
		p, err := r.ParseSpec()
		if err != nil {
			return err
		}
		t := now()
		docs, fromCursor, err := s.claimable(ctx, tx, &j, p, t)
		if err != nil {
			return err
		}
		batch := newDatumBatch(tx)
		var size int64
		for _, doc := range docs {
			d, err := decodeDatum(doc)
			if err != nil {
				return err
			}
			if fromCursor {
				s.cursors.reached(pipeline, j.ID, d.Index)
			}
			if limit := p.DatumSetSpec.GetSizeBytes(); limit > 0 && len(tasks) > 0 && size >= limit {
				break
			}
			size += d.SizeBytes
			if leased(d) {
				// Its lease ran out: the worker was lost. That is no failure
				// of the datum's command, so the attempt is not charged.
				if d.Lost++; d.Lost >= maxLostLeases {
					d.State, d.Finished = tusk.DatumFailed, &t
					d.Reason = fmt.Sprintf("its worker was lost %d times in a row, the last time %s: the datum may be what kills "+
						"it (out of memory?); see the worker's logs", d.Lost, d.Worker)
					batch.put(d, time.Time{})
					failed = true
					continue
				}
			} else {
				d.Attempts++
			}
			d.Claim++
			d.State, d.Worker, d.Server, d.Claimed, d.Started, d.Finished = tusk.DatumStarting, worker, s.instance, &t, nil, nil
			batch.put(d, t.Add(s.lease))
			tasks = append(tasks, newTask(p, &j, d, int(s.lease/time.Second)))
		}
		return batch.flush(ctx)
	})
	if failed {
		s.wake(pipeline)
	}
	return tasks, failed, err
}

// claimable returns the datums of job j that a claim takes: queued ones
// from the claim cursor (cursor.go) and, if it finds none, from the head
// of the queue then expired ones (meta.ClaimableDatums); fromCursor says
// which. Sets bounded by size_bytes, which may leave datums they read,
// always start at the head.
func (s *Scheduler) claimable(ctx context.Context, tx *meta.Tx, j *tusk.JobInfo, p *spec.Pipeline, t time.Time) (docs [][]byte, fromCursor bool, err error) {
	size := setSize(p)
	if p.DatumSetSpec.GetSizeBytes() == 0 {
		from, n, err := s.cursors.reserve(ctx, tx, j, size)
		if err != nil {
			return nil, false, err
		}
		if docs, err = tx.QueuedDatumsFrom(ctx, project, j.Pipeline, j.ID, from, n); len(docs) > 0 || err != nil {
			return docs, true, err
		}
	}
	docs, err = tx.ClaimableDatums(ctx, project, j.Pipeline, j.ID, t, size)
	return docs, false, err
}

// setSize says how many datums of a job a worker claims at once.
func setSize(p *spec.Pipeline) meta.SetSize {
	ds := p.DatumSetSpec
	if ds != nil && ds.Number > 0 {
		return meta.SetSize{N: int(ds.Number)}
	}
	if ds != nil && ds.SizeBytes > 0 {
		return meta.SetSize{N: maxSetSize}
	}
	per := int64(setsPerWorker)
	if ds != nil && ds.PerWorker > 0 {
		per = min(ds.PerWorker, 1<<16)
	}
	return meta.SetSize{N: maxSetSize, Spread: pps.Parallelism(p) * int(per)}
}

func newTask(p *spec.Pipeline, j *tusk.JobInfo, d *datumRecord, leaseSeconds int) tusk.Task {
	env := slices.Clone(d.Env)
	env = append(env, "PACH_JOB_ID="+j.ID, "PACH_OUTPUT_COMMIT_ID="+j.ID)
	t := tusk.Task{Pipeline: p.Name(), Job: j.ID, Datum: d.ID, Attempt: d.Attempts, Claim: d.Claim, Inputs: d.Inputs, Env: taskEnv(p, env),
		Cmd: p.Transform.Cmd, Stdin: p.Transform.Stdin, ErrCmd: p.Transform.ErrCmd, ErrStdin: p.Transform.ErrStdin,
		AcceptReturnCode: p.Transform.AcceptReturnCode, WorkingDir: p.Transform.WorkingDir, User: p.Transform.User,
		DatumTimeout: tusk.Duration(p.DatumTimeout), LeaseSeconds: leaseSeconds, DatumBatching: p.Transform.DatumBatching, S3Out: p.S3Out}
	if p.Service != nil {
		// Its heartbeats tell the worker when a newer job supersedes it.
		t.Service, t.LeaseSeconds = true, min(leaseSeconds, serviceHeartbeat)
	}
	return t
}

// taskEnv is env followed by the variables of every task of p: the
// pipeline's, then transform.env's.
func taskEnv(p *spec.Pipeline, env []string) []string {
	env = append(env, "PPS_PIPELINE_NAME="+p.Name(), "PPS_PROJECT_NAME="+project, "PACH_IN_WORKER=true")
	for _, k := range slices.Sorted(maps.Keys(p.Transform.Env)) {
		env = append(env, k+"="+p.Transform.Env[k])
	}
	return env
}

// Heartbeat extends the leases of a worker's datums of a job, given as
// datum ID → claim, and returns those whose attempt the worker should
// stop: the job ended, or the datum was restarted or given to another
// worker.
func (s *Scheduler) Heartbeat(ctx context.Context, pipeline, job, worker string, claims map[string]int) (cancel []string, err error) {
	s.workerSeen(pipeline)
	ids := slices.Sorted(maps.Keys(claims))
	// A queue, as Done: each datum is locked where read.
	err = s.db.UpdateQueue(ctx, func(tx *meta.Tx) error {
		cancel = nil
		j, err := pps.LoadJob(ctx, tx, pipeline, job)
		if tusk.KindOf(err) == tusk.KindNotFound || err == nil && tusk.JobDone(j.State) {
			cancel = ids
			return nil
		}
		if err != nil {
			return err
		}
		lease := now().Add(s.lease)
		batch := newDatumBatch(tx)
		keys := make([]datumKey, len(ids))
		for i, id := range ids {
			keys[i] = datumKey{pipeline, job, id}
		}
		if err := batch.load(ctx, keys); err != nil {
			return err
		}
		for _, k := range keys {
			d, ok := batch.get(k)
			if !ok || !leased(d) || d.Claim != claims[k.id] || d.Worker != worker {
				cancel = append(cancel, k.id)
				continue
			}
			batch.put(d, lease)
		}
		return batch.flush(ctx)
	})
	return cancel, err
}

// Done records, in one transaction and in order, the starts (RUNNING) and
// ends of datum attempts of a worker. A failed attempt is retried until
// the pipeline's datum_tries are used up; a datum given back (QUEUED) is
// queued again without using up an attempt. A result for an attempt that
// is no longer current (the datum went to another worker, or its job is
// gone) is dropped: its output never lands.
func (s *Scheduler) Done(ctx context.Context, results []tusk.TaskResult) error {
	results, err := s.spoutReports(ctx, results)
	if err != nil || len(results) == 0 {
		return err
	}
	results = s.workerImages(ctx, results)
	files, rejected := s.stageOutputs(ctx, results)
	type jobKey struct{ pipeline, job string }
	// What the results did to each job: ended, that an attempt ended (the
	// job may be done); queued, that a datum went back to the queue (a
	// waiting worker may claim it). Only these are signalled: a signal
	// per report woke every idle worker of the job to claim nothing, at
	// the end of a job of 32 workers a storm of empty claims.
	type news struct{ ended, queued bool }
	jobs := map[jobKey]news{}
	var unreadable []tusk.TaskResult
	// Volatile: after a power loss the datums simply run again. A queue:
	// each datum is locked where read, so that reports of other datums
	// run alongside (see claim).
	err = s.db.UpdateQueue(ctx, func(tx *meta.Tx) error {
		clear(jobs)
		unreadable = unreadable[:0]
		specs := map[string]*spec.Pipeline{}
		batch := newDatumBatch(tx)
		keys := make([]datumKey, len(results))
		for i, res := range results {
			keys[i] = datumKey{res.Pipeline, res.Job, res.Datum}
		}
		if err := batch.load(ctx, keys); err != nil {
			return err
		}
		for i, res := range results {
			p, ok := specs[res.Pipeline]
			if !ok {
				r, err := pps.LoadPipeline(ctx, tx, res.Pipeline)
				if tusk.KindOf(err) == tusk.KindNotFound {
					continue // stale
				}
				if err != nil {
					return err
				}
				if p, err = r.ParseSpec(); err != nil {
					return err
				}
				specs[res.Pipeline] = p
			}
			d, ok := batch.get(keys[i])
			if !ok || !leased(d) || d.Claim != res.Claim || d.Worker != res.Worker {
				continue // stale
			}
			var missing *pfs.ChunkMissingError
			switch {
			case errors.As(rejected[i], &missing):
				// Its chunks went to a server that died before storing
				// them: run again, without using up an attempt.
				res.State, res.Reason = tusk.DatumQueued, fmt.Sprintf("its output was lost with the server that received it (%v); running it again", rejected[i])
			case rejected[i] != nil:
				res.State, res.Reason = tusk.DatumFailed, fmt.Sprintf("output rejected: %v", rejected[i])
			}
			applyResult(d, res, files[i], int(p.DatumTries))
			var lease time.Time
			if leased(d) {
				lease = now().Add(s.lease)
			}
			batch.put(d, lease)
			k := jobKey{res.Pipeline, res.Job}
			n := jobs[k]
			n.ended = n.ended || res.State != tusk.DatumRunning
			n.queued = n.queued || d.State == tusk.DatumQueued
			jobs[k] = n
			if res.InputError {
				unreadable = append(unreadable, res)
			}
		}
		return batch.flush(ctx)
	})
	if err != nil {
		return err
	}
	for _, res := range unreadable {
		s.noteInputFailure(res.Pipeline, res.Job, res.Datum, res.Reason)
	}
	for j, n := range jobs {
		if n.queued {
			s.signalTasks(j.pipeline)
		}
		if n.ended && s.mayEnd(ctx, j.pipeline, j.job) {
			s.wake(j.pipeline)
		}
	}
	return nil
}

// mayEnd says whether a job has no datum left to run, so that its
// controller should look at it now. While datums are left the controller
// need not: it counts the job's progress every second anyway, and a step
// for every report of a short datum cost the server a fifth of its CPU.
// It is asked after the results are committed, so that of two reports
// that end a job's last datums at once, the later one sees both. While
// this server's claims have not reached the job's last datum, datums are
// left without a look at the store (a read transaction per report, a
// fifth of the transactions of a job of short datums); should another
// server's claims have taken them, the controller's count finds the end
// within the second.
func (s *Scheduler) mayEnd(ctx context.Context, pipeline, job string) bool {
	if s.cursors.short(pipeline, job) {
		return false
	}
	var pending bool
	err := s.db.View(ctx, func(tx *meta.Tx) error {
		var err error
		pending, err = tx.HasDatums(ctx, project, pipeline, job, tusk.DatumQueued, tusk.DatumStarting, tusk.DatumRunning)
		return err
	})
	return err != nil || !pending
}

// applyResult applies a current attempt's result to its datum.
func applyResult(d *datumRecord, res tusk.TaskResult, files []fileset.File, tries int) {
	t := now()
	switch res.State {
	case tusk.DatumRunning:
		if d.State == tusk.DatumStarting {
			d.State, d.Started = tusk.DatumRunning, workerTime(d, res.Started, t)
		}
		return
	case tusk.DatumQueued:
		d.State, d.Reason, d.Worker, d.Claimed, d.Started, d.Finished = tusk.DatumQueued, res.Reason, "", nil, nil, nil
		d.Attempts--
		return
	}
	if res.Started != nil || d.Started == nil {
		d.Started = workerTime(d, res.Started, t)
	}
	if finished := workerTime(d, res.Finished, t); !finished.Before(*d.Started) {
		t = *finished
	}
	d.Finished, d.Reason, d.ImageID, d.ImageDigest, d.Lost = &t, res.Reason, res.ImageID, res.ImageDigest, 0
	switch res.State {
	case tusk.DatumSuccess:
		d.State, d.Files, d.Outputs = tusk.DatumSuccess, files, nil
		for _, f := range files {
			d.Outputs = append(d.Outputs, f.Path)
		}
	case tusk.DatumRecovered:
		d.State, d.Files = tusk.DatumRecovered, nil
	default:
		d.State = tusk.DatumFailed
		if d.Attempts < tries && !res.InputError {
			d.State = tusk.DatumQueued
		}
	}
}

// workerTime returns a time the worker reported for datum d, if it fits
// between the claim and now (clocks may differ), else now.
func workerTime(d *datumRecord, at *time.Time, now time.Time) *time.Time {
	if at == nil || d.Claimed != nil && at.Before(*d.Claimed) || at.After(now) {
		return &now
	}
	t := at.UTC()
	return &t
}

// stageOutputs stages the outputs of the successful results: the files of
// each, or why they were rejected.
func (s *Scheduler) stageOutputs(ctx context.Context, results []tusk.TaskResult) ([][]fileset.File, []error) {
	files, errs := make([][]fileset.File, len(results)), make([]error, len(results))
	var ok []int
	for i, res := range results {
		if res.State == tusk.DatumSuccess && len(res.Outputs) > 0 {
			ok = append(ok, i)
		}
	}
	if len(ok) > 1 {
		if staged := s.stageTogether(ctx, results, ok); staged != nil {
			for _, i := range ok {
				files[i] = staged[i]
			}
			return files, errs
		}
	}
	for _, i := range ok {
		files[i], errs[i] = s.pfs.StageFiles(ctx, results[i].Outputs, outputLease)
	}
	return files, errs
}

// stageTogether stages the outputs of several datums in one go and gives
// each datum the files its operations made. It returns nil, to have each
// datum staged on its own, when two datums write overlapping paths (the
// job reports such clashes by datum) or when staging fails (to find the
// datum at fault).
func (s *Scheduler) stageTogether(ctx context.Context, results []tusk.TaskResult, idx []int) map[int][]fileset.File {
	owner := map[string]int{} // output path → index of the result writing it
	var ops []tusk.FileOp
	for _, i := range idx {
		for _, op := range results[i].Outputs {
			p, err := tusk.CleanPath(op.Path)
			if err != nil {
				return nil
			}
			if o, ok := owner[p]; ok && o != i {
				return nil
			}
			owner[p] = i
			op.Path = p
			ops = append(ops, op)
		}
	}
	for p, i := range owner {
		if p == "/" {
			continue
		}
		if o, ok := ownerOf(owner, path.Dir(p)); ok && o != i {
			return nil // p is under a path of another datum
		}
	}
	staged, err := s.pfs.StageFiles(ctx, ops, outputLease)
	if err != nil {
		return nil
	}
	out := map[int][]fileset.File{}
	for _, f := range staged {
		i, ok := ownerOf(owner, f.Path)
		if !ok {
			return nil
		}
		out[i] = append(out[i], f)
	}
	return out
}

// ownerOf returns the owner of p or of its nearest ancestor that has one.
func ownerOf(owner map[string]int, p string) (int, bool) {
	for {
		if i, ok := owner[p]; ok {
			return i, true
		}
		if p == "/" {
			return 0, false
		}
		p = path.Dir(p)
	}
}

// RestartDatum stops the attempt in progress (STARTING or RUNNING) of
// the datums of a job whose ID or input paths match; the stop counts as
// a failed attempt, so a datum on its last try (datum_tries) fails.
func (s *Scheduler) RestartDatum(ctx context.Context, pipeline, job string, match []string) (int, error) {
	n := 0
	err := s.db.Update(ctx, func(tx *meta.Tx) error {
		n = 0
		r, err := pps.LoadPipeline(ctx, tx, pipeline)
		if err != nil {
			return err
		}
		p, err := r.ParseSpec()
		if err != nil {
			return err
		}
		ds, err := datumsIn(ctx, tx, pipeline, job, tusk.DatumRunning, 0)
		if err != nil {
			return err
		}
		starting, err := datumsIn(ctx, tx, pipeline, job, tusk.DatumStarting, 0)
		if err != nil {
			return err
		}
		ds = append(ds, starting...)
		for _, d := range ds {
			if !datumMatches(d, match) {
				continue
			}
			d.State, d.Reason = tusk.DatumQueued, "restarted by user"
			if d.Attempts >= int(p.DatumTries) {
				t := now()
				d.State, d.Reason, d.Finished = tusk.DatumFailed, "restarted by user on its last attempt (datum_tries)", &t
			}
			if err := storeDatum(ctx, tx, d, time.Time{}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	s.signalTasks(pipeline)
	return n, err
}

func datumMatches(d *datumRecord, match []string) bool {
	for _, m := range match {
		if m == d.ID {
			return true
		}
		for _, in := range d.Inputs {
			if m == in.Path || strings.TrimSuffix(in.Path, "/") == strings.TrimSuffix(m, "/") {
				return true
			}
		}
	}
	return false
}
