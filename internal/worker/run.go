package worker

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
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
	return s.w.run(ctx, t, argv, stdin, s.logs, s.command, nil)
}

// run runs argv as a command of task t, as datumSet.run does, sending its
// output to logs; find finds its program, and extraEnv is added to its
// environment.
func (w *worker) run(ctx context.Context, t *tusk.Task, argv, stdin []string, logs *logSink,
	find func([]string, *runAs) (*exec.Cmd, error), extraEnv []string) (int, error) {
	if len(argv) == 0 {
		return -1, errors.New("empty command")
	}
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
	cmd, err := find(argv, as)
	if err != nil {
		return -1, fmt.Errorf("start %s: %w", argv[0], err)
	}
	cmd.Env = append(append(w.env(t), w.s3.env(t)...), extraEnv...)
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
	cmd.Stdout, cmd.Stderr = out.w[0], out.w[1]
	// The stdin lines' writer must not hold the datum: after the command
	// exits, give it 2 s, then move on.
	cmd.WaitDelay = 2 * time.Second
	tree, err := w.procs.New("datum")
	if err == nil {
		err = tree.Start(cmd)
	}
	if err != nil {
		return -1, fmt.Errorf("start %s: %w", argv[0], err)
	}
	stop := context.AfterFunc(ctx, func() { tree.Kill() })
	// Whatever the command started ends with it.
	err = tree.Wait()
	if errors.Is(err, exec.ErrWaitDelay) {
		err = nil
	}
	stop()
	out.end()
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
	out   *output        // the pipes of the commands' output, once made
	wg    sync.WaitGroup // of their readers
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

// outputGrace is how long the readers of the output read on once the set
// is over: a process that outlived its tree (see output) may hold the
// pipes open.
const outputGrace = 2 * time.Second

// close closes the output's pipes, once their readers are done, and sends
// the last lines.
func (s *logSink) close() {
	if s.out != nil {
		for i := range 2 {
			s.out.w[i].Close()
			s.out.r[i].SetReadDeadline(time.Now().Add(outputGrace))
		}
	}
	s.wg.Wait()
	close(s.stop)
	<-s.done
}

// The output of the commands of a set goes through two pipes, for stdout
// and stderr, that the set's log sink makes once and keeps: each command
// writes straight into them, and a reader of each makes its lines log
// lines of the datum in hand. Once a command's tree has ended, the worker
// writes an end mark into each pipe, which no command can know; when the
// readers reach it, every line of the command is in the logs. (Given no
// *os.File, os/exec would make two pipes per command and copy from them
// through a goroutine and a 32 KiB buffer each.) A process that outlives
// its tree, which only the process group mode allows, may write more:
// that goes to the datum in hand at the time.
type output struct {
	w, r [2]*os.File // the pipes' ends: the command's stdout and stderr, and the readers'
	mark []byte
	ends chan struct{} // a reader sends one when it reads the mark
}

// output returns the sink's pipes, made at the first call.
func (s *logSink) output() (*output, error) {
	if s.out != nil {
		return s.out, nil
	}
	o := &output{ends: make(chan struct{}, 2)}
	o.mark = []byte("\x00tusk-end-" + rand.Text() + "\n")
	for i := range 2 {
		r, w, err := os.Pipe()
		if err != nil {
			for _, f := range slices.Concat(o.r[:i], o.w[:i]) {
				f.Close()
			}
			return nil, fmt.Errorf("make a pipe for the output: %w", err)
		}
		o.r[i], o.w[i] = r, w
	}
	for _, r := range o.r {
		s.wg.Go(func() { s.read(r, o) })
	}
	s.out = o
	return o, nil
}

// read adds the lines read from r, one of the pipes of o, until its end,
// and tells o when it reads the end mark. A line longer than the buffer
// comes as several.
func (s *logSink) read(r *os.File, o *output) {
	defer r.Close()
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if err == bufio.ErrBufferFull {
			// Hold back what may be the start of the mark.
			if n := len(line) - len(o.mark); n > 0 {
				s.add(string(line[:n]))
				line = append(line[:0], line[n:]...)
			}
			continue
		}
		if err != nil {
			if len(line) > 0 {
				s.add(string(line))
			}
			return
		}
		if text, end := bytes.CutSuffix(line, o.mark); end {
			if len(text) > 0 { // a last line without its newline
				s.add(string(text))
			}
			o.ends <- struct{}{}
		} else {
			s.add(string(line[:len(line)-1]))
		}
		line = line[:0]
	}
}

// end returns once every line a command wrote, whose tree has ended, is
// in the logs.
func (o *output) end() {
	for _, w := range o.w {
		w.Write(o.mark)
	}
	<-o.ends
	<-o.ends
}
