package pps

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pfs"
	"github.com/tuskdata/tusk/internal/pps/spec"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Options tune an API.
type Options struct {
	Logger *slog.Logger
	// Limits bound what specs may ask for; unset ones are the defaults.
	Limits Limits
}

// API is the pipeline system's records and rules: what users and workers
// ask of pipelines, jobs, datums and logs. Its Scheduler runs the jobs.
type API struct {
	db     *meta.DB
	pfs    *pfs.API
	sched  Scheduler
	log    *slog.Logger
	limits Limits

	mu     sync.Mutex
	logEnd map[string]logEnd // per pipeline, job and datum: where its log ends
}

// New returns the pipeline system's API over a file system, whose jobs
// sched runs.
func New(db *meta.DB, fs *pfs.API, sched Scheduler, opts Options) *API {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &API{db: db, pfs: fs, sched: sched, log: opts.Logger.WithGroup("pps"), limits: opts.Limits.OrDefaults(),
		logEnd: map[string]logEnd{}}
}

const project = tusk.DefaultProject

func now() time.Time { return time.Now().UTC() }

// PipelineRecord is a pipeline as stored.
type PipelineRecord struct {
	tusk.PipelineInfo
}

// ParseSpec returns the pipeline's spec.
func (r *PipelineRecord) ParseSpec() (*spec.Pipeline, error) {
	var p spec.Pipeline
	if err := json.Unmarshal(r.Spec, &p); err != nil {
		return nil, fmt.Errorf("pipeline %s: stored spec: %w", r.Name, err)
	}
	return &p, nil
}

// LoadPipeline reads the record of a pipeline.
func LoadPipeline(ctx context.Context, tx *meta.Tx, name string) (*PipelineRecord, error) {
	b, err := tx.Pipeline(ctx, project, name)
	if err != nil {
		return nil, err
	}
	return DecodePipeline(name, b)
}

// DecodePipeline decodes the stored record of pipeline name.
func DecodePipeline(name string, b []byte) (*PipelineRecord, error) {
	var r PipelineRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("pipeline %s: %w", name, err)
	}
	return &r, nil
}

// LoadPipelines reads the records of every pipeline.
func LoadPipelines(ctx context.Context, tx *meta.Tx) ([]*PipelineRecord, error) {
	docs, err := tx.Pipelines(ctx, project)
	if err != nil {
		return nil, err
	}
	out := make([]*PipelineRecord, len(docs))
	for i, doc := range docs {
		out[i] = new(PipelineRecord)
		if err := json.Unmarshal(doc, out[i]); err != nil {
			return nil, fmt.Errorf("pipeline record: %w", err)
		}
	}
	return out, nil
}

// StorePipeline records a pipeline.
func StorePipeline(ctx context.Context, tx *meta.Tx, r *PipelineRecord) error {
	b, err := marshalText(r)
	if err != nil {
		return err
	}
	return tx.PutPipeline(ctx, project, r.Name, b)
}

// marshalText encodes v as JSON without escaping <, > and &. Specs hold
// commands such as "echo hi >&2", and their stored JSON is what users see
// (inspect pipeline -o json, the console).
func marshalText(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
