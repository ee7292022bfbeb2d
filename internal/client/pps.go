package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

// CreatePipeline creates (or, with update, updates) pipelines from a spec
// file's bytes (JSON or YAML, one or several pipelines).
func (c *Client) CreatePipeline(ctx context.Context, specData []byte, update, reprocess, dryRun bool) ([]tusk.PipelineInfo, error) {
	var out []tusk.PipelineInfo
	q := url.Values{"update": {strconv.FormatBool(update)}, "reprocess": {strconv.FormatBool(reprocess)}, "dry_run": {strconv.FormatBool(dryRun)}}
	resp, err := c.do(ctx, http.MethodPost, "/v1/pipelines", q, bytesReader(specData), "application/octet-stream")
	if err != nil {
		return nil, err
	}
	defer closeBody(resp.Body)
	return out, json.NewDecoder(resp.Body).Decode(&out)
}

// InspectPipeline describes a pipeline.
func (c *Client) InspectPipeline(ctx context.Context, name string) (tusk.PipelineInfo, error) {
	var p tusk.PipelineInfo
	err := c.call(ctx, http.MethodGet, "/v1/pipelines/"+url.PathEscape(name), nil, nil, &p)
	return p, err
}

// ListPipelines lists pipelines.
func (c *Client) ListPipelines(ctx context.Context) ([]tusk.PipelineInfo, error) {
	return collect[tusk.PipelineInfo](ctx, c, "/v1/pipelines", nil)
}

// PipelineHistory returns the specs of a pipeline's last n versions.
func (c *Client) PipelineHistory(ctx context.Context, name string, n int) ([]json.RawMessage, error) {
	return collect[json.RawMessage](ctx, c, "/v1/pipelines/"+url.PathEscape(name)+"/history", url.Values{"n": {strconv.Itoa(n)}})
}

// DeletePipeline deletes a pipeline (and its output repo unless keepRepo).
func (c *Client) DeletePipeline(ctx context.Context, name string, keepRepo bool) error {
	return c.call(ctx, http.MethodDelete, "/v1/pipelines/"+url.PathEscape(name), url.Values{"keep_repo": {strconv.FormatBool(keepRepo)}}, nil, nil)
}

// PipelineAction runs "stop", "start", "rerun" (reprocess optional) or
// "run-cron" on a pipeline.
func (c *Client) PipelineAction(ctx context.Context, name, action string, reprocess bool) error {
	return c.call(ctx, http.MethodPost, "/v1/pipelines/"+url.PathEscape(name)+"/"+action, url.Values{"reprocess": {strconv.FormatBool(reprocess)}}, nil, nil)
}

// ListJobs lists jobs, of one pipeline and/or one commit set.
func (c *Client) ListJobs(ctx context.Context, pipeline, id string, limit int) ([]tusk.JobInfo, error) {
	q := url.Values{"pipeline": {pipeline}, "id": {id}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return collect[tusk.JobInfo](ctx, c, "/v1/jobs", q)
}

// SubscribeJobs calls fn with every job event the server pushes (a
// "subscribed" event, then the jobs whose state or progress changes) until
// ctx ends or fn returns an error.
func (c *Client) SubscribeJobs(ctx context.Context, fn func(tusk.JobEvent) error) error {
	return stream(ctx, c, "/v1/events/jobs", nil, fn)
}

// InspectJob describes a job.
func (c *Client) InspectJob(ctx context.Context, pipeline, id string) (tusk.JobInfo, error) {
	var j tusk.JobInfo
	err := c.call(ctx, http.MethodGet, "/v1/jobs/"+url.PathEscape(pipeline)+"/"+url.PathEscape(id), nil, nil, &j)
	return j, err
}

// WaitJob waits for a job (pipeline set) or every job of a commit set.
func (c *Client) WaitJob(ctx context.Context, pipeline, id string) ([]tusk.JobInfo, error) {
	var out []tusk.JobInfo
	err := c.call(ctx, http.MethodGet, "/v1/jobs/wait", url.Values{"pipeline": {pipeline}, "id": {id}}, nil, &out)
	return out, err
}

// StopJob kills a job.
func (c *Client) StopJob(ctx context.Context, pipeline, id string) error {
	return c.call(ctx, http.MethodPost, "/v1/jobs/"+url.PathEscape(pipeline)+"/"+url.PathEscape(id)+"/stop", nil, nil, nil)
}

// DeleteJob deletes a job's records.
func (c *Client) DeleteJob(ctx context.Context, pipeline, id string) error {
	return c.call(ctx, http.MethodDelete, "/v1/jobs/"+url.PathEscape(pipeline)+"/"+url.PathEscape(id), nil, nil, nil)
}

// ListDatums streams a job's datums, optionally in one state.
func (c *Client) ListDatums(ctx context.Context, pipeline, job, state string, fn func(tusk.DatumInfo) error) error {
	return c.ListDatumsPage(ctx, pipeline, job, state, 0, 0, fn)
}

// ListDatumsPage streams one page of a job's datums: limit of them (0:
// all) after skipping offset.
func (c *Client) ListDatumsPage(ctx context.Context, pipeline, job, state string, offset, limit int, fn func(tusk.DatumInfo) error) error {
	q := url.Values{"state": {state}, "offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(limit)}}
	return stream(ctx, c, "/v1/jobs/"+url.PathEscape(pipeline)+"/"+url.PathEscape(job)+"/datums", q, fn)
}

// DryRunDatums streams the datums a spec would make now, each QUEUED or
// SKIPPED as the next job would decide, with the reason; reprocess asks
// as update --reprocess would.
func (c *Client) DryRunDatums(ctx context.Context, specData []byte, reprocess bool, fn func(tusk.DatumInfo) error) error {
	q := url.Values{"reprocess": {strconv.FormatBool(reprocess)}}
	resp, err := c.do(ctx, http.MethodPost, "/v1/datums/dry-run", q, bytesReader(specData), "application/octet-stream")
	if err != nil {
		return err
	}
	defer closeBody(resp.Body)
	return decodeStream(resp, "/v1/datums/dry-run", fn)
}

// InspectDatum describes a datum.
func (c *Client) InspectDatum(ctx context.Context, pipeline, job, id string) (tusk.DatumInfo, error) {
	var d tusk.DatumInfo
	err := c.call(ctx, http.MethodGet, "/v1/jobs/"+url.PathEscape(pipeline)+"/"+url.PathEscape(job)+"/datums/"+url.PathEscape(id), nil, nil, &d)
	return d, err
}

// RestartDatum restarts the running datums of a job matching IDs or paths.
func (c *Client) RestartDatum(ctx context.Context, pipeline, job string, match []string) (int, error) {
	var out struct {
		Restarted int `json:"restarted"`
	}
	err := c.call(ctx, http.MethodPost, "/v1/jobs/"+url.PathEscape(pipeline)+"/"+url.PathEscape(job)+"/restart", nil, map[string][]string{"match": match}, &out)
	return out.Restarted, err
}

// Logs streams a pipeline's log lines (of one job and datum when given);
// with follow it keeps streaming new lines until ctx ends.
func (c *Client) Logs(ctx context.Context, pipeline, job, datum string, follow bool, fn func(tusk.LogLine) error) error {
	q := url.Values{"pipeline": {pipeline}, "job": {job}, "datum": {datum}, "follow": {strconv.FormatBool(follow)}}
	return stream(ctx, c, "/v1/logs", q, fn)
}

// NextTasks asks for a set of datums to process, waiting up to wait; it
// returns nil when there is none.
func (c *Client) NextTasks(ctx context.Context, pipeline, worker string, wait time.Duration) ([]tusk.Task, error) {
	resp, err := c.send(c.long, ctx, http.MethodPost, "/v1/workers/next", url.Values{"pipeline": {pipeline}, "worker": {worker}, "wait": {wait.String()}}, nil, "application/json")
	if err != nil {
		return nil, err
	}
	defer closeBody(resp.Body)
	if resp.StatusCode == http.StatusNoContent {
		return nil, nil
	}
	var ts []tusk.Task
	if err := json.NewDecoder(resp.Body).Decode(&ts); err != nil {
		return nil, fmt.Errorf("decode tasks: %w", err)
	}
	return ts, nil
}

// TaskInputs returns the inputs of datums (a list of inputs per datum) as
// a tar archive in the layout of the server's /v1/workers/inputs: as many
// datums as fit whole within a budget of content bytes and files, and,
// with forceFirst, at least the first.
func (c *Client) TaskInputs(ctx context.Context, datums [][]tusk.DatumInput, budgetBytes int64, budgetFiles int, forceFirst bool) (io.ReadCloser, error) {
	body, err := json.Marshal(tusk.TaskInputsRequest{Datums: datums, BudgetBytes: budgetBytes, BudgetFiles: budgetFiles,
		ForceFirst: forceFirst})
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, http.MethodPost, "/v1/workers/inputs", nil, bytesReader(body), "application/json")
	if err != nil {
		return nil, err
	}
	return drainingBody{resp.Body}, nil
}

// Heartbeat extends the leases of a worker's datums of one job; it
// returns the datums whose attempt the worker should stop.
func (c *Client) Heartbeat(ctx context.Context, tasks []tusk.Task, worker string) (cancel []string, err error) {
	if len(tasks) == 0 {
		return nil, nil
	}
	claims := make(map[string]int, len(tasks))
	for _, t := range tasks {
		claims[t.Datum] = t.Claim
	}
	var out struct {
		Cancel []string `json:"cancel"`
	}
	err = c.call(ctx, http.MethodPost, "/v1/workers/heartbeat", nil, map[string]any{
		"pipeline": tasks[0].Pipeline, "job": tasks[0].Job, "worker": worker, "claims": claims}, &out)
	return out.Cancel, err
}

// Done reports the ends of datum attempts, those of a set together.
func (c *Client) Done(ctx context.Context, results []tusk.TaskResult) error {
	return c.call(ctx, http.MethodPost, "/v1/workers/done", nil, results, nil)
}

// AppendLogs sends log lines of a worker.
func (c *Client) AppendLogs(ctx context.Context, lines []tusk.LogLine) error {
	return c.call(ctx, http.MethodPost, "/v1/workers/logs", nil, lines, nil)
}

// Defaults returns the cluster's pipeline defaults, as
// {"create_pipeline_request": {...}}.
func (c *Client) Defaults(ctx context.Context) (json.RawMessage, error) {
	var d json.RawMessage
	err := c.call(ctx, http.MethodGet, "/v1/defaults", nil, nil, &d)
	return d, err
}

// SetDefaults sets the cluster's pipeline defaults from a JSON or YAML
// document.
func (c *Client) SetDefaults(ctx context.Context, data []byte) error {
	resp, err := c.do(ctx, http.MethodPut, "/v1/defaults", nil, bytesReader(data), "application/octet-stream")
	if err != nil {
		return err
	}
	closeBody(resp.Body)
	return nil
}

// DeleteDefaults removes the cluster's pipeline defaults.
func (c *Client) DeleteDefaults(ctx context.Context) error {
	return c.call(ctx, http.MethodDelete, "/v1/defaults", nil, nil, nil)
}
