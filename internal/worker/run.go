package worker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

// run runs a command of the datum in its own process group, feeding it
// stdin lines and streaming its output as logs. The whole process tree is
// killed when ctx ends or the datum timeout passes. It returns the exit
// code.
func (w *worker) run(ctx context.Context, t *tusk.Task, argv, stdin []string) (int, error) {
	if len(argv) == 0 {
		return -1, errors.New("empty command")
	}
	if t.DatumTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(t.DatumTimeout))
		defer cancel()
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = w.env(t)
	cmd.Dir = t.WorkingDir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if t.User != "" && !w.cfg.UserApplied {
		cred, err := credential(t.User)
		if err != nil {
			return -1, err
		}
		cmd.SysProcAttr.Credential = cred
	}
	if len(stdin) > 0 {
		cmd.Stdin = strings.NewReader(strings.Join(stdin, "\n") + "\n")
	}
	logs := newLogSink(ctx, w, t)
	defer logs.close()
	stdout, stderr := logs.writer(), logs.writer()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// A background process that keeps the output open must not hold the
	// datum: after the command exits, give its output 2 s, then move on
	// (the group kill below ends such stragglers).
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		stdout.Close()
		stderr.Close()
		return -1, fmt.Errorf("start %s: %w", argv[0], err)
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		case <-done:
		}
	}()
	err := cmd.Wait()
	if errors.Is(err, exec.ErrWaitDelay) {
		err = nil
	}
	close(done)
	// Whatever the command left behind in its group goes too.
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	stdout.Close()
	stderr.Close()
	if ctx.Err() == context.DeadlineExceeded {
		return -1, fmt.Errorf("datum timeout (%s) exceeded", time.Duration(t.DatumTimeout))
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	if err != nil {
		return -1, err
	}
	return 0, nil
}

// credential parses "uid" or "uid:gid".
func credential(user string) (*syscall.Credential, error) {
	u, g, hasGroup := strings.Cut(user, ":")
	uid, err := strconv.ParseUint(u, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("transform.user %q: give a numeric uid or uid:gid", user)
	}
	gid := uid
	if hasGroup {
		if gid, err = strconv.ParseUint(g, 10, 32); err != nil {
			return nil, fmt.Errorf("transform.user %q: give a numeric uid or uid:gid", user)
		}
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// logSink batches lines of user output and sends them as datum logs.
type logSink struct {
	ctx   context.Context
	w     *worker
	t     *tusk.Task
	mu    sync.Mutex
	lines []tusk.LogLine
	stop  chan struct{}
	done  chan struct{}
	wg    sync.WaitGroup
}

func newLogSink(ctx context.Context, w *worker, t *tusk.Task) *logSink {
	s := &logSink{ctx: context.WithoutCancel(ctx), w: w, t: t, stop: make(chan struct{}), done: make(chan struct{})}
	go s.loop()
	return s
}

func (s *logSink) loop() {
	defer close(s.done)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			s.flush()
			return
		case <-tick.C:
			s.flush()
		}
	}
}

// setTask attributes the following lines to another datum.
func (s *logSink) setTask(t *tusk.Task) {
	s.mu.Lock()
	s.t = t
	s.mu.Unlock()
}

func (s *logSink) add(msg string) {
	s.mu.Lock()
	s.lines = append(s.lines, tusk.LogLine{Pipeline: s.t.Pipeline, Job: s.t.Job, Datum: s.t.Datum, Worker: s.w.cfg.ID,
		Time: time.Now().UTC(), User: true, Message: msg})
	s.mu.Unlock()
}

func (s *logSink) flush() {
	s.mu.Lock()
	lines := s.lines
	s.lines = nil
	s.mu.Unlock()
	if len(lines) > 0 {
		if err := s.w.cfg.Client.AppendLogs(s.ctx, lines); err != nil {
			s.w.log.Warn("send logs", "err", err)
		}
	}
}

func (s *logSink) close() {
	s.wg.Wait()
	close(s.stop)
	<-s.done
}

// writer returns a pipe whose lines become log lines.
func (s *logSink) writer() io.WriteCloser {
	pr, pw := io.Pipe()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			s.add(sc.Text())
		}
		io.Copy(io.Discard, pr)
	}()
	return pw
}

// userLog records a worker message about a datum.
func (w *worker) userLog(ctx context.Context, t *tusk.Task, user bool, msg string) {
	line := tusk.LogLine{Pipeline: t.Pipeline, Job: t.Job, Datum: t.Datum, Worker: w.cfg.ID, Time: time.Now().UTC(), User: user, Message: msg}
	if err := w.cfg.Client.AppendLogs(context.WithoutCancel(ctx), []tusk.LogLine{line}); err != nil {
		w.log.Warn("send logs", "err", err)
	}
}
