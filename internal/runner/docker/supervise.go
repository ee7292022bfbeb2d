package docker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tuskdata/tusk/internal/runner"
	"github.com/tuskdata/tusk/internal/tusk"
)

// stableAfter is how long a restarted container must run before the
// death of its predecessor is no longer reported by Ensure.
const stableAfter = 30 * time.Second

// group is the containers of one pipeline version: slots[i] runs worker
// i, in the image the version's first containers ran.
type group struct {
	version int
	image   localImage
	slots   []*slot
}

// slot is one worker: a container that its supervisor keeps running.
type slot struct {
	worker   string // worker ID, given to the shim
	name     string // container name
	req      *createRequest
	pipeline string
	cancel   context.CancelFunc // ends the supervisor
	done     chan struct{}      // closed when the supervisor has ended

	mu        sync.Mutex
	container string    // ID of the current container, "" when none
	token     string    // the current container's token, "" when none
	up        bool      // the container was started and has not died
	started   time.Time // when it was started
	failure   error     // why the last container died or could not start
}

// scale makes the group run w.Workers containers: it removes the extra
// ones, and starts the missing ones, all or none, with their
// supervisors. The containers that stay keep running.
func (r *Runner) scale(ctx context.Context, g *group, w runner.WorkerSpec) error {
	if n := max(w.Workers, 0); len(g.slots) > n {
		stopSlots(g.slots[n:])
		g.slots = g.slots[:n]
	}
	var added []*slot
	for i := len(g.slots); i < w.Workers; i++ {
		id := workerID(w, i)
		added = append(added, &slot{worker: id, pipeline: w.Pipeline, name: containerName(r.opts.Instance, id), req: r.request(w, g.image, id)})
	}
	if len(added) == 0 {
		return nil
	}
	errs := make([]error, len(added))
	var wg sync.WaitGroup
	for i, s := range added {
		wg.Go(func() { errs[i] = r.start(ctx, s) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, s := range added {
			r.discard(s)
		}
		return err
	}
	for _, s := range added {
		sctx, cancel := context.WithCancel(context.Background())
		s.cancel, s.done = cancel, make(chan struct{})
		go func() {
			defer close(s.done)
			r.supervise(sctx, s)
		}()
	}
	g.slots = append(g.slots, added...)
	r.log.Info("worker containers started", "pipeline", w.Pipeline, "version", w.Version, "workers", w.Workers,
		"started", len(added), "image", w.Image, "image_id", g.image.ID, "digest", g.image.Digest)
	return nil
}

// stopSlots ends the supervisors, which remove their containers, all at
// once, and waits for them.
func stopSlots(slots []*slot) {
	for _, s := range slots {
		s.cancel()
	}
	for _, s := range slots {
		<-s.done
	}
}

// err reports a worker whose container died or could not start, until its
// successor has run for stableAfter.
func (g *group) err() error {
	for _, s := range g.slots {
		s.mu.Lock()
		err := s.failure
		if s.up && time.Since(s.started) >= stableAfter {
			err, s.failure = nil, nil
		}
		s.mu.Unlock()
		if err != nil {
			return fmt.Errorf("worker %s: %w", s.worker, err)
		}
	}
	return nil
}

// start creates and starts the slot's container, with a token of its own.
func (r *Runner) start(ctx context.Context, s *slot) error {
	req := *s.req
	if r.opts.Credentials != nil {
		token, err := r.opts.Credentials.Issue(ctx, s.pipeline, s.worker)
		if err != nil {
			return fmt.Errorf("create container %s: %w", s.name, err)
		}
		s.mu.Lock()
		s.token = token
		s.mu.Unlock()
		req.Env = append(req.Env[:len(req.Env):len(req.Env)], tusk.WorkerTokenEnv+"="+token)
	}
	id, warnings, err := r.eng.create(ctx, s.name, &req)
	if err != nil {
		r.revoke(s)
		return fmt.Errorf("create container %s: %w", s.name, err)
	}
	for _, w := range warnings {
		r.log.Warn("engine warning", "worker", s.worker, "warning", w)
	}
	s.mu.Lock()
	s.container = id
	s.mu.Unlock()
	if err := r.eng.Start(ctx, id); err != nil {
		if gpus := deviceCount(req.HostConfig.DeviceRequests); gpus > 0 && strings.Contains(err.Error(), "could not select device driver") {
			return fmt.Errorf("start container %s: the pipeline asks for %d GPU(s) (nvidia.com/gpu), which the Docker engine cannot give: %w "+
				"(install the NVIDIA Container Toolkit and restart the engine, or remove resource_limits.gpu and resource_requests.gpu)", s.name, gpus, err)
		}
		return fmt.Errorf("start container %s: %w", s.name, err)
	}
	s.mu.Lock()
	s.up, s.started = true, time.Now()
	s.mu.Unlock()
	return nil
}

// supervise keeps the slot's container running until ctx ends, replacing
// it (after a growing delay) when it dies, and then removes it.
func (r *Runner) supervise(ctx context.Context, s *slot) {
	defer r.discard(s)
	backoff := time.Second
	for {
		s.mu.Lock()
		id, up, started := s.container, s.up, s.started
		s.mu.Unlock()
		var err error
		if up {
			err = r.waitDeath(ctx, id)
			if time.Since(started) > time.Minute {
				backoff = time.Second
			}
		} else if err = r.start(ctx, s); err == nil {
			continue
		}
		if ctx.Err() != nil {
			return
		}
		s.mu.Lock()
		s.up, s.failure = false, err
		s.mu.Unlock()
		r.log.Warn("worker container down; replacing it", "worker", s.worker, "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Minute)
		r.discard(s)
	}
}

// waitDeath waits until the container stops and says why it did.
func (r *Runner) waitDeath(ctx context.Context, id string) error {
	code, err := r.eng.wait(ctx, id)
	if err != nil {
		return fmt.Errorf("lost the container: %w", err)
	}
	msg := fmt.Sprintf("container exited with code %d", code)
	if st, err := r.eng.state(ctx, id); err == nil {
		if st.OOMKilled {
			msg += " (out of memory)"
		}
		if st.Error != "" {
			msg += ": " + st.Error
		}
	}
	var out strings.Builder
	if err := r.eng.Logs(ctx, &out, id, "3", 64<<10); err == nil && strings.TrimSpace(out.String()) != "" {
		msg += "; last output: " + strings.TrimSpace(out.String())
	}
	return errors.New(msg)
}

// revoke revokes the token of the slot's container, if any.
func (r *Runner) revoke(s *slot) {
	s.mu.Lock()
	token := s.token
	s.token = ""
	s.mu.Unlock()
	if token == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), removeTimeout)
	defer cancel()
	if err := r.opts.Credentials.Revoke(ctx, token); err != nil {
		r.log.Warn("revoke a worker's token", "worker", s.worker, "err", err)
	}
}

// discard removes the slot's container, if any, and revokes its token.
func (r *Runner) discard(s *slot) {
	r.revoke(s)
	s.mu.Lock()
	id := s.container
	s.container, s.up = "", false
	s.mu.Unlock()
	if id == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), removeTimeout)
	defer cancel()
	if err := r.eng.Remove(ctx, id); err != nil {
		r.log.Warn("remove worker container", "worker", s.worker, "err", err)
	}
}

// deviceCount is how many devices reqs ask for.
func deviceCount(reqs []deviceRequest) int {
	n := 0
	for _, d := range reqs {
		n += d.Count
	}
	return n
}
