package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
)

// Several servers may share one metadata store (PostgreSQL) and one
// object store: each serves the API and the console, and exactly one, the
// leader, runs what must run once: the scheduler (pipelines' controllers,
// cron, the runner's workers), the cron ticks of branch triggers and the
// garbage collector. Leadership is
// meta.DB.Lead's; on SQLite the one server leads from its start.

// newInstance names a run of a server: a restarted server is another
// instance, since its workers died with the one before.
func newInstance() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// lead runs the leader's work until lctx ends, that is, until this server
// stops leading or ctx, the server's, ends. It first revokes the tokens
// of earlier leaders' workers, which died with them, or can no longer
// reach them, and are being stopped if their server lives on; alongside
// the scheduler, it removes the workers dead servers left running. When it
// returns, this server's workers are stopped: a server that stops
// leading but goes on serving stops them, and one that stops (ctx ended)
// stops them before it lets go of the lead, while its API still answers
// their last reports, so that the next leader does not give back the
// datums they are about to finish.
func (s *Server) lead(ctx, lctx context.Context) {
	s.log.Info("this server leads: it runs the scheduler", "server", s.instance)
	s.leading.Store(true)
	defer s.leading.Store(false)
	if err := s.auth.RevokeWorkers(lctx); err != nil {
		s.log.Error("revoke the tokens of earlier workers", "err", err)
		return
	}
	var removing sync.WaitGroup
	removing.Go(func() { s.removeDeadWorkers(lctx) })
	if s.cfg.GCInterval > 0 {
		go s.pfs.RunGC(lctx, s.cfg.GCInterval)
	}
	go s.pfs.RunCronTriggers(lctx)
	if err := s.sched.Run(lctx); err != nil {
		s.log.Error("pipeline system stopped", "err", err)
	}
	removing.Wait()
	if ctx.Err() != nil {
		if err := s.runner.Close(); err != nil {
			s.log.Error("stop workers", "err", err)
		}
		return
	}
	s.log.Warn("this server no longer leads: it stops its workers", "server", s.instance)
	s.sched.StopAllWorkers(ctx)
}

// deadWorkerRemover is a runner whose workers outlive a server that dies
// (the docker runner's containers).
type deadWorkerRemover interface {
	RemoveDeadWorkers(ctx context.Context, alive func(server string) bool) error
}

// removeDeadWorkers has the runner remove the workers of the servers of
// this cluster that are no longer alive, if its workers can outlive
// their server.
func (s *Server) removeDeadWorkers(ctx context.Context) {
	r, ok := s.runner.(deadWorkerRemover)
	if !ok {
		return
	}
	alive, err := s.db.AliveServers(ctx)
	if err == nil {
		err = r.RemoveDeadWorkers(ctx, alive.Alive)
	}
	if err != nil && ctx.Err() == nil {
		s.log.Warn("remove the workers of servers that died", "err", err)
	}
}
