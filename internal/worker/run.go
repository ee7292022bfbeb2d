package worker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

// run runs a command of a datum of the set as a process tree of its own
// (see package proctree), feeding it stdin lines and streaming its output
// as the datum's logs. The whole tree is killed when ctx ends or the
// datum timeout passes, and whatever the command leaves running when it
// exits. It returns the exit code once every line of output is in the
// logs.
func (s *datumSet) run(ctx context.Context, t *tusk.Task, argv, stdin []string) (int, error) {
	if len(argv) == 0 {
		return -1, errors.New("empty command")
	}
	w, logs := s.w, s.logs
	logs.setTask(t)
	if t.DatumTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(t.DatumTimeout))
		defer cancel()
	}
	as, err := w.runAs(t)
	if err != nil {
		return -1, err
	}
	cmd, err := s.command(argv, as)
	if err != nil {
		return -1, fmt.Errorf("start %s: %w", argv[0], err)
	}
	cmd.Env = w.env(t)
	cmd.Dir = t.WorkingDir
	as.apply(cmd)
	if len(stdin) > 0 {
		cmd.Stdin = strings.NewReader(strings.Join(stdin, "\n") + "\n")
	} else if w.devNull != nil {
		cmd.Stdin = w.devNull // else os/exec opens it for each command
	}
	out, err := logs.output()
	if err != nil {
		return -1, fmt.Errorf("start %s: %w", argv[0], err)
	}
	cmd.Stdout, cmd.Stderr = out.stdout, out.stderr
	// The stdin lines' writer must not hold the datum: after the command
	// exits, give it 2 s, then move on.
	cmd.WaitDelay = 2 * time.Second
	tree, err := w.procs.New("datum")
	if err == nil {
		err = tree.Start(cmd)
	}
	out.started()
	if err != nil {
		out.wait()
		return -1, fmt.Errorf("start %s: %w", argv[0], err)
	}
	stop := context.AfterFunc(ctx, func() { tree.Kill() })
	// Whatever the command started ends with it.
	err = tree.Wait()
	if errors.Is(err, exec.ErrWaitDelay) {
		err = nil
	}
	stop()
	out.wait()
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

// command is command, but remembers the search of the program in $PATH:
// the datums of a set run the same commands, as the same user.
func (s *datumSet) command(argv []string, as *runAs) (*exec.Cmd, error) {
	if p, ok := s.paths[argv[0]]; ok {
		return commandAt(p, argv), nil
	}
	cmd, err := command(argv, as)
	if err == nil && !strings.Contains(argv[0], "/") {
		s.paths[argv[0]] = cmd.Path
	}
	return cmd, err
}

// command is exec.Command, but finds the program in $PATH among those that
// as (nil: this process) may run.
func command(argv []string, as *runAs) (*exec.Cmd, error) {
	name := argv[0]
	if strings.Contains(name, "/") {
		return exec.Command(name, argv[1:]...), nil // relative to the working directory, if not absolute
	}
	p, err := as.lookPath(name)
	if err != nil {
		return nil, err
	}
	return commandAt(p, argv), nil
}

// commandAt runs argv with the program at p.
func commandAt(p string, argv []string) *exec.Cmd {
	cmd := exec.Command(p, argv[1:]...)
	cmd.Args[0] = argv[0]
	return cmd
}

// logSink batches lines of user output and worker notes and sends them as
// datum logs, every half second and when flushed.
type logSink struct {
	ctx   context.Context
	w     *worker
	mu    sync.Mutex
	t     *tusk.Task // the datum user output belongs to, if any
	lines []tusk.LogLine
	stop  chan struct{}
	done  chan struct{}
	wg    sync.WaitGroup // of the writers
}

func newLogSink(ctx context.Context, w *worker) *logSink {
	s := &logSink{ctx: context.WithoutCancel(ctx), w: w, stop: make(chan struct{}), done: make(chan struct{})}
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

// setTask attributes the following lines of user output to another datum.
func (s *logSink) setTask(t *tusk.Task) {
	s.mu.Lock()
	s.t = t
	s.mu.Unlock()
}

// add adds a line of user output.
func (s *logSink) add(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := tusk.LogLine{Pipeline: s.w.cfg.Pipeline, Worker: s.w.cfg.ID, Time: time.Now().UTC(), User: true, Message: msg}
	if s.t != nil {
		l.Job, l.Datum = s.t.Job, s.t.Datum
	}
	s.lines = append(s.lines, l)
}

// note adds a line of the worker's about datum t.
func (s *logSink) note(t *tusk.Task, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, tusk.LogLine{Pipeline: t.Pipeline, Job: t.Job, Datum: t.Datum, Worker: s.w.cfg.ID,
		Time: time.Now().UTC(), Message: msg})
}

// flush sends the lines gathered so far.
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

// close waits for the writers to be closed and drained, and sends the
// last lines.
func (s *logSink) close() {
	s.wg.Wait()
	close(s.stop)
	<-s.done
}

// outputGrace is how long the output of a command that exited is read
// for: a process outside its tree (in the process group mode, one in a
// session of its own) may hold it open.
const outputGrace = 2 * time.Second

// An output is the pipes of a command's stdout and stderr, whose lines
// become log lines. The command writes straight into them (os/exec would
// copy from pipes of its own, through a goroutine and a buffer per
// stream).
type output struct {
	stdout, stderr *os.File   // the write ends, for the command
	readers        []*os.File // the read ends
	read           sync.WaitGroup
}

// output returns the pipes of a command's output. Start the command,
// then call started; once it ended, wait.
func (s *logSink) output() (*output, error) {
	o := &output{}
	var writers []*os.File
	for range 2 {
		r, w, err := os.Pipe()
		if err != nil {
			for _, f := range append(o.readers, writers...) {
				f.Close()
			}
			return nil, fmt.Errorf("make a pipe for the output: %w", err)
		}
		o.readers, writers = append(o.readers, r), append(writers, w)
	}
	o.stdout, o.stderr = writers[0], writers[1]
	for _, r := range o.readers {
		s.wg.Add(1)
		o.read.Go(func() {
			defer s.wg.Done()
			s.read(r)
		})
	}
	return o, nil
}

// read adds the lines read from r until its end.
func (s *logSink) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4<<10), 1<<20)
	for sc.Scan() {
		s.add(sc.Text())
	}
	io.Copy(io.Discard, r) // past a line too long
}

// started closes this process's copies of the write ends: the command
// holds its own.
func (o *output) started() {
	o.stdout.Close()
	o.stderr.Close()
}

// wait waits until every line of the output is in the logs, for up to
// outputGrace, and closes the pipes.
func (o *output) wait() {
	for _, r := range o.readers {
		r.SetReadDeadline(time.Now().Add(outputGrace))
	}
	o.read.Wait()
	for _, r := range o.readers {
		r.Close()
	}
}
