package server

import (
	"context"
	"time"
)

// tempGrace is how much older than the server a temporary file of the
// object store must be for cleanTemp to remove it: a margin for coarse
// or skewed file-system clocks, so that no Put of this server loses its
// file.
const tempGrace = time.Minute

// tempCleaner is an object store that can remove the temporary files of
// Puts that never finished (local.Store).
type tempCleaner interface {
	CleanTemp(ctx context.Context, before time.Time) (int, error)
}

// cleanTemp removes the temporary files that dead servers left in the
// object store. It runs alongside the server's own Puts, which it leaves
// alone: their files are newer than the server.
func (s *Server) cleanTemp(ctx context.Context) {
	c, ok := s.objects.(tempCleaner)
	if !ok {
		return
	}
	n, err := c.CleanTemp(ctx, s.started.Add(-tempGrace))
	switch {
	case err != nil && ctx.Err() == nil:
		s.log.Warn("remove the temporary files of unfinished writes", "err", err)
	case n > 0:
		s.log.Info("removed the temporary files of unfinished writes", "files", n)
	}
}
