package client

import (
	"bytes"
	"context"
	"fmt"
	"os"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"
)

// Reading ahead of PutLocalFiles: files of at most readAheadMax bytes
// are read whole by readAheadFiles goroutines, up to readAheadBytes ahead
// of the one being cut. For many small files the opens and reads, one
// after the other, cost as much as cutting and hashing them; done ahead,
// they overlap it.
const (
	readAheadFiles = 4
	readAheadMax   = 1 << 20
	readAheadBytes = 16 << 20
)

// LocalFile is a file of the local file system, put at Path.
type LocalFile struct {
	Name string // its name on the local file system
	Path string // where it goes in the commit
	Size int64  // its size when listed; -1 if unknown
}

// PutLocalFiles puts files in the order given, as PutFile of each would,
// reading the small ones ahead of their turn.
func (u *Upload) PutLocalFiles(files []LocalFile) error {
	type read struct {
		data []byte
		err  error
	}
	ready := make([]chan read, len(files))
	for i, f := range files {
		if f.Size >= 0 && f.Size <= readAheadMax {
			ready[i] = make(chan read, 1)
		}
	}
	weight := func(f LocalFile) int64 { return max(f.Size, 1) }
	ctx, cancel := context.WithCancel(u.gctx)
	budget := semaphore.NewWeighted(readAheadBytes)
	var g errgroup.Group
	g.SetLimit(readAheadFiles)
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		for i, f := range files {
			if ready[i] == nil {
				continue
			}
			if budget.Acquire(ctx, weight(f)) != nil {
				return
			}
			g.Go(func() error {
				data, err := os.ReadFile(f.Name)
				ready[i] <- read{data, err}
				return nil
			})
		}
	}()
	defer func() {
		cancel()
		<-fed
		g.Wait()
	}()
	for i, f := range files {
		if ready[i] == nil {
			if err := u.putLocalFile(f); err != nil {
				return err
			}
			continue
		}
		var r read
		select {
		case r = <-ready[i]:
		case <-ctx.Done():
			return fmt.Errorf("put file %s: %w", f.Path, u.fail())
		}
		budget.Release(weight(f))
		if r.err != nil {
			return fmt.Errorf("put file: %w", r.err)
		}
		if err := u.PutFile(f.Path, bytes.NewReader(r.data), false); err != nil {
			return err
		}
	}
	return nil
}

// putLocalFile streams a local file into the upload.
func (u *Upload) putLocalFile(f LocalFile) error {
	file, err := os.Open(f.Name)
	if err != nil {
		return fmt.Errorf("put file: %w", err)
	}
	defer file.Close()
	return u.PutFile(f.Path, file, false)
}
