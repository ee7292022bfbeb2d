package worker

import (
	"context"
	"fmt"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

// spoutUp is how long a spout's command must run before the worker says
// it is up (RUNNING): one that exits sooner is crashing.
const spoutUp = 3 * time.Second

// spout runs the command of a spout's task t until ctx ends, and again,
// after a delay that grows while it keeps exiting, whenever it exits. The
// command finds the shim on its PATH as tusk and pachctl, with
// Config.CLIEnv pointing it at the server as this worker, whose token may
// write only the pipeline's output repo: `pachctl put file OUT@master:/f`
// commits there. Its output is the pipeline's log (of no job); its ups
// and downs are reported as results of no job, which the server shows as
// the pipeline's state.
func (w *worker) spout(ctx context.Context, t *tusk.Task) {
	logs := newLogSink(ctx, w)
	defer logs.close()
	env := w.cfg.CLIEnv
	as, err := w.runAs(t)
	if err == nil {
		var proxy *apiProxy
		if env, proxy, err = w.proxyAPI(env, as); proxy != nil {
			defer proxy.close()
		}
	}
	if err != nil {
		// Its command cannot run without it.
		reason := "the spout cannot start: " + err.Error()
		logs.note(t, reason)
		w.spoutState(ctx, tusk.DatumFailed, reason)
		<-ctx.Done()
		return
	}
	backoff := time.Second
	for ctx.Err() == nil {
		started := time.Now()
		up := time.AfterFunc(spoutUp, func() { w.spoutState(ctx, tusk.DatumRunning, "") })
		code, err := w.run(ctx, t, t.Cmd, t.Stdin, logs, command, env)
		up.Stop()
		if ctx.Err() != nil {
			return
		}
		if time.Since(started) > time.Minute {
			backoff = time.Second
		}
		reason := fmt.Sprintf("the spout's command exited with code %d; restarting it in %s", code, backoff)
		if err != nil {
			reason = fmt.Sprintf("the spout's command failed: %v; trying again in %s", err, backoff)
		}
		logs.note(t, reason)
		w.spoutState(ctx, tusk.DatumFailed, reason)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Minute)
	}
}

// spoutState reports the spout's command up (RUNNING) or down (FAILED,
// with reason) to the server.
func (w *worker) spoutState(ctx context.Context, state, reason string) {
	rctx, cancel := context.WithTimeout(ctx, RequestTimeout)
	defer cancel()
	err := w.cfg.Client.Done(rctx, []tusk.TaskResult{{Pipeline: w.cfg.Pipeline, Worker: w.cfg.ID, State: state, Reason: reason}})
	if err != nil && ctx.Err() == nil {
		w.log.Warn("report the spout's state", "state", state, "err", err)
	}
}
