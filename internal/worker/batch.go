package worker

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/tuskdata/tusk/internal/proctree"
	"github.com/tuskdata/tusk/internal/tusk"
)

// NextSocketEnv names the variable that tells `tusk next datum` where its
// worker listens.
const NextSocketEnv = "TUSK_NEXT_SOCKET"

// batch runs a datum-batching pipeline's command once and feeds it the
// datums of sets, starting with s: each `tusk next datum` the command
// runs reports the previous datum (done, or failed with --error), waits
// for the next one to be laid out under the datum root, with its
// variables in <root>/.env, and returns. A set ends (its results are
// reported together) when the command asks for the datum after its last.
// The batch ends when the command exits or ctx ends; the datum in hand
// then fails.
func (w *worker) batch(ctx context.Context, s *datumSet) {
	logs := newLogSink(ctx, w) // of the command's output
	defer logs.close()
	first := &s.tasks[0]
	logs.setTask(first)
	sock := filepath.Join(os.TempDir(), "tusk-next-"+w.cfg.ID+".sock")
	os.Remove(sock)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		s.start(ctx, 0)
		s.end(0, tusk.DatumFailed, fmt.Sprintf("datum batching: listen on %s: %v", sock, err))
		s.finish()
		return
	}
	defer os.Remove(sock)
	defer ln.Close()
	as, err := w.runAs(first)
	if err == nil && as != nil {
		// Only the command may ask for datums.
		err = os.Chown(sock, int(as.cred.Uid), int(as.cred.Gid))
	}
	if err != nil {
		s.start(ctx, 0)
		s.end(0, tusk.DatumFailed, "datum batching: "+err.Error())
		s.finish()
		return
	}

	cmd, err := command(first.Cmd, as)
	if err != nil {
		s.start(ctx, 0)
		s.end(0, tusk.DatumFailed, fmt.Sprintf("start %s: %v", first.Cmd[0], err))
		s.finish()
		return
	}
	cmd.Env = append(w.env(&tusk.Task{}), NextSocketEnv+"="+sock)
	as.apply(cmd)
	cmd.Dir = first.WorkingDir
	if len(first.Stdin) > 0 {
		cmd.Stdin = strings.NewReader(strings.Join(first.Stdin, "\n") + "\n")
	}
	out, err := logs.output()
	var tree *proctree.Tree
	if err == nil {
		cmd.Stdout, cmd.Stderr = out.w[0], out.w[1]
		if tree, err = w.procs.New("batch"); err == nil {
			err = tree.Start(cmd)
		}
	}
	if err != nil {
		s.start(ctx, 0)
		s.end(0, tusk.DatumFailed, fmt.Sprintf("start %s: %v", first.Cmd[0], err))
		s.finish()
		return
	}
	exited := make(chan error, 1)
	go func() {
		err := tree.Wait() // the command, and whatever it left running
		out.end()
		ln.Close()
		exited <- err
	}()
	defer tree.Kill()

	current, asked := -1, false // the datum in hand, as an index into s.tasks
	for {
		conn, err := ln.Accept()
		if err != nil {
			break // the command exited
		}
		asked = true
		req, _ := bufio.NewReader(conn).ReadString('\n')
		req = strings.TrimSpace(req)
		if current >= 0 {
			if msg, failed := strings.CutPrefix(req, "error"); failed {
				s.end(current, tusk.DatumFailed, "user code reported an error:"+msg)
			} else if err := s.collect(current); err != nil {
				s.failOrGiveBack(current, "upload output", err)
			} else {
				s.end(current, tusk.DatumSuccess, "")
			}
		}
		if s, current = w.nextInBatch(ctx, s, current+1); s == nil {
			conn.Close()
			break
		}
		logs.setTask(&s.tasks[current])
		if err := s.layOut(ctx, current); err != nil {
			fmt.Fprintf(conn, "error %v\n", err)
			conn.Close()
			s.end(current, tusk.DatumFailed, err.Error())
			current = -1
			continue
		}
		if err := w.writeEnv(&s.tasks[current]); err != nil {
			fmt.Fprintf(conn, "error %v\n", err)
			conn.Close()
			s.end(current, tusk.DatumFailed, "lay out datum: "+err.Error())
			current = -1
			continue
		}
		s.running(current)
		fmt.Fprintln(conn, "ok")
		conn.Close()
	}
	err = <-exited
	if s == nil {
		return
	}
	switch {
	case current >= 0 && ctx.Err() != nil:
		s.end(current, tusk.DatumQueued, "given back by worker "+w.cfg.ID+", which is stopping")
	case current >= 0:
		reason := "the command exited while processing the datum"
		if err != nil {
			reason += ": " + err.Error()
		}
		s.end(current, tusk.DatumFailed, reason)
	case !asked:
		s.start(ctx, 0)
		s.end(0, tusk.DatumFailed, "the command exited without asking for a datum (datum_batching needs `tusk next datum`)")
	}
	s.finish()
}

// nextInBatch starts the attempt of datum i of set s or, past the set's
// end (or a datum the server cancelled), of the next datum; when s is
// done it is reported and a new set claimed. It returns a nil set when
// ctx ends.
func (w *worker) nextInBatch(ctx context.Context, s *datumSet, i int) (*datumSet, int) {
	for {
		for ; i < len(s.tasks); i++ {
			if _, ok := s.start(ctx, i); ok {
				return s, i
			}
		}
		s.finish()
		if s, _ = w.claim(ctx); s == nil {
			return nil, -1
		}
		i = 0
	}
}

// writeEnv writes a datum's variables to <root>/.env.
func (w *worker) writeEnv(t *tusk.Task) error {
	var b strings.Builder
	env := w.env(t)
	for _, kv := range env[len(os.Environ()):] {
		b.WriteString(kv + "\n")
	}
	return os.WriteFile(filepath.Join(w.cfg.Root, ".env"), []byte(b.String()), 0o644)
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
