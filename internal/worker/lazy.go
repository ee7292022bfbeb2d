package worker

import (
	"context"
	"io"
	"os"
	"sync"
	"syscall"

	"github.com/tuskdata/tusk/internal/client"
)

// lazyFiles serves the files of lazy inputs as named pipes: a file's
// content is fetched only when user code opens it, and streams (no seek),
// as in Pachyderm.
type lazyFiles struct {
	mu    sync.Mutex
	pipes []string
	wg    sync.WaitGroup
}

// add makes dst a named pipe that streams ref to its first reader.
func (l *lazyFiles) add(ctx context.Context, c *client.Client, ref, dst string) error {
	if err := syscall.Mkfifo(dst, 0o644); err != nil {
		return &os.PathError{Op: "mkfifo", Path: dst, Err: err}
	}
	l.mu.Lock()
	l.pipes = append(l.pipes, dst)
	l.mu.Unlock()
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		f, err := os.OpenFile(dst, os.O_WRONLY, 0) // blocks until a reader opens it
		if err != nil {
			return
		}
		defer f.Close()
		rc, _, err := c.GetFile(ctx, ref, 0)
		if err != nil {
			return
		}
		defer rc.Close()
		io.Copy(f, rc)
	}()
	return nil
}

// release ends the datum's pipes: writers still waiting for a reader are
// let go by opening their pipes for reading ourselves.
func (l *lazyFiles) release() {
	l.mu.Lock()
	pipes := l.pipes
	l.pipes = nil
	l.mu.Unlock()
	for _, p := range pipes {
		if f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			io.Copy(io.Discard, f)
			f.Close()
		}
	}
	l.wg.Wait()
}
