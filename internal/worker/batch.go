package worker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/tuskdata/tusk/internal/tusk"
)

// NextSocketEnv names the variable that tells `tusk next datum` where its
// worker listens.
const NextSocketEnv = "TUSK_NEXT_SOCKET"

// batch runs a datum-batching pipeline's command once and feeds it datums:
// each `tusk next datum` the command runs reports the previous datum (done,
// or failed with --error), waits for the next one to be laid out under the
// datum root, with its variables in <root>/.env, and returns. It ends when
// the command exits or ctx ends; the datum in hand then fails.
func (w *worker) batch(ctx context.Context, first *tusk.Task) {
	sock := filepath.Join(os.TempDir(), "tusk-next-"+w.cfg.ID+".sock")
	os.Remove(sock)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		w.report(ctx, first, tusk.DatumFailed, fmt.Sprintf("datum batching: listen on %s: %v", sock, err), nil)
		return
	}
	defer os.Remove(sock)
	defer ln.Close()

	cmd := exec.Command(first.Cmd[0], first.Cmd[1:]...)
	cmd.Env = append(w.env(&tusk.Task{}), NextSocketEnv+"="+sock)
	cmd.Dir = first.WorkingDir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if len(first.Stdin) > 0 {
		cmd.Stdin = strings.NewReader(strings.Join(first.Stdin, "\n") + "\n")
	}
	logs := newLogSink(ctx, w, first)
	defer logs.close()
	stdout, stderr := logs.writer(), logs.writer()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		stdout.Close()
		stderr.Close()
		w.report(ctx, first, tusk.DatumFailed, fmt.Sprintf("start %s: %v", first.Cmd[0], err), nil)
		return
	}
	exited := make(chan error, 1)
	go func() {
		exited <- cmd.Wait()
		stdout.Close()
		stderr.Close()
		ln.Close()
	}()
	defer syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)

	current, pending := (*tusk.Task)(nil), first
	stopBeat := func() {}
	defer func() { stopBeat() }()
	for {
		conn, err := ln.Accept()
		if err != nil {
			break // the command exited
		}
		req, _ := bufio.NewReader(conn).ReadString('\n')
		req = strings.TrimSpace(req)
		if current != nil {
			stopBeat()
			if msg, failed := strings.CutPrefix(req, "error"); failed {
				w.report(ctx, current, tusk.DatumFailed, "user code reported an error:"+msg, nil)
			} else if ops, err := w.upload(ctx, current); err != nil {
				w.report(ctx, current, tusk.DatumFailed, "upload output: "+err.Error(), nil)
			} else {
				w.report(ctx, current, tusk.DatumSuccess, "", ops)
			}
			current = nil
		}
		if pending == nil {
			if pending, err = w.next(ctx); err != nil || pending == nil {
				conn.Close()
				break
			}
		}
		current, pending = pending, nil
		bctx, cancel := context.WithCancel(ctx)
		go w.heartbeat(bctx, cancel, current)
		stopBeat = cancel
		logs.setTask(current)
		if err := w.layOut(ctx, current); err != nil {
			fmt.Fprintf(conn, "error %v\n", err)
			conn.Close()
			stopBeat()
			w.report(ctx, current, tusk.DatumFailed, "download inputs: "+err.Error(), nil)
			current = nil
			continue
		}
		fmt.Fprintln(conn, "ok")
		conn.Close()
	}
	err = <-exited
	if current != nil {
		reason := "the command exited while processing the datum"
		if err != nil {
			reason += ": " + err.Error()
		}
		w.report(ctx, current, tusk.DatumFailed, reason, nil)
	}
	if pending != nil {
		w.report(ctx, first, tusk.DatumFailed, "the command exited without asking for a datum (datum_batching needs `tusk next datum`)", nil)
	}
}

// layOut prepares the datum root for a datum and writes its variables to
// <root>/.env.
func (w *worker) layOut(ctx context.Context, t *tusk.Task) error {
	if err := w.clean(); err != nil {
		return err
	}
	if err := w.download(ctx, t); err != nil {
		return err
	}
	var b strings.Builder
	env := w.env(t)
	for _, kv := range env[len(os.Environ()):] {
		b.WriteString(kv + "\n")
	}
	return os.WriteFile(filepath.Join(w.cfg.Root, ".env"), []byte(b.String()), 0o644)
}

// report sends a datum's result.
func (w *worker) report(ctx context.Context, t *tusk.Task, state, reason string, ops []tusk.FileOp) {
	res := tusk.TaskResult{Pipeline: t.Pipeline, Job: t.Job, Datum: t.Datum, Attempt: t.Attempt, Worker: w.cfg.ID,
		ImageID: w.cfg.ImageID, State: state, Reason: reason, Outputs: ops}
	if err := w.cfg.Client.Done(context.WithoutCancel(ctx), res); err != nil && !errors.Is(err, context.Canceled) {
		w.log.Error("report datum", "datum", t.Datum, "err", err)
	}
}

// NextDatum is `tusk next datum`: it tells the worker the previous datum
// is done (or failed, with errMsg) and waits until the next one is laid
// out.
func NextDatum(errMsg string) error {
	sock := os.Getenv(NextSocketEnv)
	if sock == "" {
		return fmt.Errorf("next datum: %s is not set; run this from the command of a pipeline with datum_batching", NextSocketEnv)
	}
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return fmt.Errorf("next datum: %w", err)
	}
	defer conn.Close()
	req := "next"
	if errMsg != "" {
		req = "error " + errMsg
	}
	if _, err := fmt.Fprintln(conn, req); err != nil {
		return fmt.Errorf("next datum: %w", err)
	}
	reply, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("next datum: the worker ended the batch")
	}
	if msg, bad := strings.CutPrefix(strings.TrimSpace(reply), "error "); bad {
		return fmt.Errorf("next datum: %s", msg)
	}
	return nil
}
