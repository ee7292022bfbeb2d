package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
)

// Restarts and failed creations wait backoff(n) after the n-th: none for
// the first, then from minBackoff doubling up to maxBackoff (a kubelet
// waits 10 s to 5 min; tests want restarts soon).
const (
	minBackoff = time.Second
	maxBackoff = 30 * time.Second
	resync     = 10 * time.Second
)

func backoff(n int32) time.Duration {
	if n <= 0 {
		return 0
	}
	return min(minBackoff<<min(n-1, 10), maxBackoff)
}

// podWorker runs one pod: a goroutine that brings the containers in line
// with the pod's spec and writes the pod's status whenever the pod
// changes, one of its containers dies or a delay ends.
type podWorker struct {
	n    *Node
	uid  types.UID
	wake chan struct{}

	mu      sync.Mutex
	pod     *corev1.Pod // the latest the informer gave
	deleted bool        // the pod is gone from the API

	// Owned by run.
	p          podContext
	dir        string
	adopted    bool // the pod had ended before this agent saw it
	startTime  metav1.Time
	inits      []*container
	apps       []*container
	initDone   int
	initFailed bool
	ended      bool
	retryAt    time.Time
}

// container is one container of the pod, and the Docker container that
// runs it (id, once created; restarts start the same one again).
type container struct {
	spec     *corev1.Container
	init     bool
	id       string
	imageID  string
	state    state
	creates  int // Docker containers made for it
	restarts int32
	attempt  time.Time // of the last creation or restart
	failures int32     // creations failed in a row
	last     *corev1.ContainerStateTerminated
	waiting  string // reason it waits, if it does
	message  string
}

func newPodWorker(n *Node, pod *corev1.Pod) *podWorker {
	w := &podWorker{n: n, uid: pod.UID, wake: make(chan struct{}, 1), pod: pod}
	w.adopted = pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
	for i := range pod.Spec.InitContainers {
		w.inits = append(w.inits, &container{spec: &pod.Spec.InitContainers[i], init: true})
	}
	for i := range pod.Spec.Containers {
		w.apps = append(w.apps, &container{spec: &pod.Spec.Containers[i]})
	}
	w.dir = filepath.Join(n.dir, string(pod.UID))
	w.p = podContext{client: n.client, hostIP: n.Gateway, pod: pod, serviceEnv: n.serviceEnv}
	return w
}

// update gives the worker the pod as the API has it now.
func (w *podWorker) update(pod *corev1.Pod, deleted bool) {
	w.mu.Lock()
	w.pod, w.deleted = pod, w.deleted || deleted
	w.mu.Unlock()
	w.poke()
}

func (w *podWorker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *podWorker) latest() (*corev1.Pod, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pod, w.deleted
}

// after asks for another sync at t at the latest.
func (w *podWorker) after(t time.Time) {
	if w.retryAt.IsZero() || t.Before(w.retryAt) {
		w.retryAt = t
	}
}

func (w *podWorker) run(ctx context.Context) {
	defer w.n.forget(w.uid)
	tick := time.NewTicker(resync)
	defer tick.Stop()
	for {
		pod, deleted := w.latest()
		if deleted || pod.DeletionTimestamp != nil {
			w.terminate(ctx, pod, deleted)
			return
		}
		w.retryAt = time.Time{}
		w.sync(ctx, pod)
		var retry <-chan time.Time
		if !w.retryAt.IsZero() {
			retry = time.After(time.Until(w.retryAt))
		}
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-retry:
		case <-tick.C:
		}
	}
}

// sync takes the pod one step on: sandbox, init containers in order, app
// containers, restarts, and writes its status.
func (w *podWorker) sync(ctx context.Context, pod *corev1.Pod) {
	if w.adopted || ctx.Err() != nil {
		return
	}
	w.p.pod = pod
	if w.p.sandbox == "" {
		if err := w.startSandbox(ctx); err != nil {
			w.warn(ctx, "pod sandbox failed", "err", err)
			w.after(time.Now().Add(minBackoff))
			return
		}
	}
	if !w.ended {
		w.refresh(ctx)
		// The pod's status is written after each step: Initialized as
		// soon as the init containers are done, while the app containers
		// are made, and Running as soon as they run.
		inits := w.initDone
		if w.stepInits(ctx) {
			w.refresh(ctx)
			pod = w.writeStatus(ctx, pod)
		}
		if w.initDone == len(w.inits) {
			var initialized chan *corev1.Pod
			if w.initDone != inits {
				st, at := w.status(pod), pod
				initialized = make(chan *corev1.Pod, 1)
				go func() { initialized <- w.putStatus(ctx, at, st) }()
			}
			if w.stepApps(ctx) {
				w.refresh(ctx)
			}
			if initialized != nil {
				pod = <-initialized
			}
		}
		if p := w.phase(); p == corev1.PodSucceeded || p == corev1.PodFailed {
			w.ended = true
			if err := w.n.docker.remove(ctx, []string{w.p.sandbox}); err != nil {
				w.warn(ctx, "removing an ended pod's sandbox", "err", err)
			}
		}
	}
	w.writeStatus(ctx, pod)
}

// startSandbox makes the pod's volumes and its sandbox: a sleeping
// container on the node's network that holds the network namespace the
// pod's containers join, and so the pod's IP.
func (w *podWorker) startSandbox(ctx context.Context) error {
	pod := w.p.pod
	if err := w.p.prepareVolumes(ctx, w.dir, w.n.log); err != nil {
		return err
	}
	hostname := pod.Spec.Hostname
	if hostname == "" {
		hostname = pod.Name
	}
	if len(hostname) > 63 {
		hostname = hostname[:63]
	}
	id, err := w.n.docker.create(ctx, w.containerName("POD", 0), &createConfig{
		Image: w.n.pauseImage, Hostname: hostname, Labels: w.labels("POD"),
		Entrypoint: []string{"sleep"}, Cmd: []string{"2147483647"},
		HostConfig: hostConfig{NetworkMode: w.n.network, ExtraHosts: []string{"host.docker.internal:" + w.n.Gateway}},
	})
	if err != nil {
		return err
	}
	if err := w.n.docker.start(ctx, id); err != nil {
		return err
	}
	c, err := w.n.docker.inspectOne(ctx, id)
	if err != nil {
		return fmt.Errorf("inspect the sandbox: %w", err)
	}
	w.p.sandbox, w.p.podIP = id, c.NetworkSettings.Networks[w.n.network].IPAddress
	w.startTime = metav1.Now().Rfc3339Copy()
	return nil
}

func (w *podWorker) containerName(c string, n int) string {
	pod := w.p.pod
	return fmt.Sprintf("k8s_%s_%s_%s_%.8s_%d", c, pod.Name, pod.Namespace, pod.UID, n)
}

func (w *podWorker) labels(c string) map[string]string {
	return map[string]string{labelNode: w.n.Name, labelOwner: owner, labelPodUID: string(w.uid),
		labelPod: podName(w.p.pod), labelContainer: c}
}

// refresh reads the state of every container from the engine. A
// container removed behind the agent's back is made again.
func (w *podWorker) refresh(ctx context.Context) {
	var ids []string
	for _, c := range w.all() {
		if c.id != "" {
			ids = append(ids, c.id)
		}
	}
	if len(ids) == 0 {
		return
	}
	got, err := w.n.docker.inspect(ctx, ids)
	if err != nil && got == nil {
		w.warn(ctx, "inspecting a pod's containers", "err", err)
	}
	for _, c := range w.all() {
		if c.id == "" {
			continue
		}
		if in, ok := got[c.id]; ok {
			c.state = in.state
			if c.imageID == "" {
				c.imageID = w.kubeletImageID(ctx, c, in.imageID)
			}
		} else if got != nil {
			c.id = ""
		}
	}
}

// kubeletImageID is the imageID of c, whose container runs the image id,
// as a kubelet reports it: a container the agent adopted (it made it in
// an earlier run) has none yet; one it made got it when its image was
// ensured.
func (w *podWorker) kubeletImageID(ctx context.Context, c *container, id string) string {
	img, err := w.n.docker.image(ctx, id)
	if err != nil {
		w.warn(ctx, "inspecting a container's image", "container", c.spec.Name, "err", err)
		return ""
	}
	return img.kubeletID(c.spec.Image)
}

func (w *podWorker) all() []*container {
	return append(append([]*container(nil), w.inits...), w.apps...)
}

// stepInits starts the next init container when the previous one
// succeeded, and restarts one that failed if the pod's restart policy
// says to. It reports whether it started one.
func (w *podWorker) stepInits(ctx context.Context) bool {
	for w.initDone < len(w.inits) {
		c := w.inits[w.initDone]
		switch {
		case c.id == "":
			return w.create(ctx, c)
		case !c.state.exited():
			return false
		case c.state.ExitCode == 0:
			w.initDone++
		case w.p.pod.Spec.RestartPolicy == corev1.RestartPolicyNever:
			w.initFailed = true
			return false
		default:
			return w.restart(ctx, c)
		}
	}
	return false
}

// stepApps makes and starts the app containers not made yet, all at once,
// and restarts those the pod's restart policy says to. It reports whether
// it started any.
func (w *podWorker) stepApps(ctx context.Context) bool {
	policy := w.p.pod.Spec.RestartPolicy
	var creating []*container
	started := false
	for _, c := range w.apps {
		switch {
		case c.id == "":
			creating = append(creating, c)
		case c.state.exited() && restarts(policy, c.state.ExitCode):
			started = w.restart(ctx, c) || started
		}
	}
	results := make([]createResult, len(creating))
	var wg sync.WaitGroup
	for i, c := range creating {
		wg.Go(func() { results[i] = w.tryCreate(ctx, c) })
	}
	wg.Wait()
	for _, r := range results {
		started = w.created(r) || started
	}
	return started
}

func restarts(policy corev1.RestartPolicy, code int32) bool {
	return policy == corev1.RestartPolicyAlways || policy == "" || (policy == corev1.RestartPolicyOnFailure && code != 0)
}

// create makes and starts a Docker container for c. When its image, its
// configuration or the engine fail it, c waits with the reason a kubelet
// gives, and is tried again after a backoff.
func (w *podWorker) create(ctx context.Context, c *container) bool {
	return w.created(w.tryCreate(ctx, c))
}

// createResult is what tryCreate did: whether it started c, and when the
// worker should try again.
type createResult struct {
	started bool
	retryAt time.Time
}

// created asks for the retry of r, and reports whether it started its
// container.
func (w *podWorker) created(r createResult) bool {
	if !r.retryAt.IsZero() {
		w.after(r.retryAt)
	}
	return r.started
}

// tryCreate is create, touching only c, so that several run at once.
func (w *podWorker) tryCreate(ctx context.Context, c *container) createResult {
	if due := c.attempt.Add(backoff(c.failures)); time.Now().Before(due) {
		return createResult{retryAt: due}
	}
	c.attempt = time.Now()
	id, reason, err := w.createContainer(ctx, c)
	if err != nil {
		c.waiting, c.message = reason, err.Error()
		c.failures++
		w.warn(ctx, "container not created", "container", c.spec.Name, "reason", reason, "err", err)
		return createResult{retryAt: c.attempt.Add(backoff(c.failures))}
	}
	c.id, c.failures, c.waiting, c.message = id, 0, "", ""
	c.creates++
	if err := w.n.docker.start(ctx, id); err != nil {
		w.warn(ctx, "container did not start", "container", c.spec.Name, "err", err)
	}
	return createResult{started: true}
}

func (w *podWorker) createContainer(ctx context.Context, c *container) (id, reason string, err error) {
	imageID, err := w.n.ensureImage(ctx, c.spec)
	if err != nil {
		var ie *imageError
		if errors.As(err, &ie) {
			return "", ie.reason, err
		}
		return "", "ErrImagePull", err
	}
	cfg, err := w.p.createConfig(ctx, c.spec, w.labels(c.spec.Name))
	if err != nil {
		return "", "CreateContainerConfigError", err
	}
	id, err = w.n.docker.create(ctx, w.containerName(c.spec.Name, c.creates), cfg)
	if err != nil {
		return "", "CreateContainerError", err
	}
	c.imageID = imageID
	return id, "", nil
}

// restart starts c's container again once its backoff has passed,
// waiting in CrashLoopBackOff until then.
func (w *podWorker) restart(ctx context.Context, c *container) bool {
	c.last = terminated(c)
	due := c.attempt
	if c.state.FinishedAt.After(due) {
		due = c.state.FinishedAt
	}
	due = due.Add(backoff(c.restarts))
	if time.Now().Before(due) {
		c.waiting = "CrashLoopBackOff"
		c.message = fmt.Sprintf("back-off %s restarting failed container %s", backoff(c.restarts), c.spec.Name)
		w.after(due)
		return false
	}
	c.attempt = time.Now()
	c.restarts++
	c.waiting, c.message = "", ""
	if err := w.n.docker.start(ctx, c.id); err != nil {
		w.warn(ctx, "container did not restart", "container", c.spec.Name, "err", err)
	}
	return true
}

// phase is the pod's phase as a kubelet computes it.
func (w *podWorker) phase() corev1.PodPhase {
	if w.initFailed {
		return corev1.PodFailed
	}
	if w.initDone < len(w.inits) {
		return corev1.PodPending
	}
	var pending, active, failed bool
	for _, c := range w.apps {
		switch {
		case c.id == "":
			pending = true
		case !c.state.exited(), restarts(w.p.pod.Spec.RestartPolicy, c.state.ExitCode):
			active = true
		case c.state.ExitCode != 0:
			failed = true
		}
	}
	switch {
	case active:
		return corev1.PodRunning
	case pending:
		return corev1.PodPending
	case failed:
		return corev1.PodFailed
	}
	return corev1.PodSucceeded
}

// writeStatus writes the pod's status if it changed, and returns the pod
// as the API has it now, as far as the worker knows.
func (w *podWorker) writeStatus(ctx context.Context, pod *corev1.Pod) *corev1.Pod {
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		st := w.status(pod)
		if equality.Semantic.DeepEqual(st, pod.Status) {
			return nil
		}
		p := pod.DeepCopy()
		p.Status = st
		updated, err := w.n.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
		if err == nil {
			pod = updated
		}
		if apierrors.IsConflict(err) {
			fresh, gerr := w.n.client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
			if gerr != nil {
				return gerr
			}
			pod = fresh
		}
		return err
	})
	if err != nil && !apierrors.IsNotFound(err) {
		w.warn(ctx, "pod status not written", "err", err)
		w.after(time.Now().Add(minBackoff))
	}
	return pod
}

// putStatus writes st as the pod's status once, and returns the pod as
// the API has it then; on failure, pod: the status written next retries.
func (w *podWorker) putStatus(ctx context.Context, pod *corev1.Pod, st corev1.PodStatus) *corev1.Pod {
	p := pod.DeepCopy()
	p.Status = st
	updated, err := w.n.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
	if err != nil {
		return pod
	}
	return updated
}

// status is the pod's status from what the worker knows, keeping what
// others wrote (the scheduler's condition, the QoS class).
func (w *podWorker) status(pod *corev1.Pod) corev1.PodStatus {
	st := *pod.Status.DeepCopy()
	st.Phase = w.phase()
	st.HostIP, st.HostIPs = w.n.Gateway, []corev1.HostIP{{IP: w.n.Gateway}}
	if w.p.podIP != "" {
		st.PodIP, st.PodIPs = w.p.podIP, []corev1.PodIP{{IP: w.p.podIP}}
	}
	if !w.startTime.IsZero() {
		st.StartTime = &w.startTime
	}
	st.InitContainerStatuses = statuses(w.inits, "PodInitializing")
	wait := "ContainerCreating"
	if w.initDone < len(w.inits) {
		wait = "PodInitializing"
	}
	st.ContainerStatuses = statuses(w.apps, wait)
	ready := st.Phase == corev1.PodRunning
	for _, c := range w.apps {
		ready = ready && c.id != "" && c.state.Running
	}
	setCondition(&st.Conditions, corev1.PodReadyToStartContainers, w.p.sandbox != "" && !w.ended)
	setCondition(&st.Conditions, corev1.PodInitialized, w.initDone == len(w.inits))
	setCondition(&st.Conditions, corev1.ContainersReady, ready)
	setCondition(&st.Conditions, corev1.PodReady, ready)
	return st
}

func statuses(cs []*container, wait string) []corev1.ContainerStatus {
	out := make([]corev1.ContainerStatus, len(cs))
	for i, c := range cs {
		running := c.id != "" && c.state.Running
		s := corev1.ContainerStatus{
			Name: c.spec.Name, Image: c.spec.Image, ImageID: c.imageID,
			RestartCount: c.restarts, Started: &running, Ready: running && !c.init,
		}
		if c.last != nil {
			s.LastTerminationState.Terminated = c.last
		}
		if c.id != "" {
			s.ContainerID = "docker://" + c.id
		}
		switch {
		case c.waiting != "":
			s.State.Waiting = &corev1.ContainerStateWaiting{Reason: c.waiting, Message: c.message}
		case c.id == "":
			s.State.Waiting = &corev1.ContainerStateWaiting{Reason: wait}
		case running:
			s.State.Running = &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(c.state.StartedAt).Rfc3339Copy()}
		default:
			s.State.Terminated = terminated(c)
			s.Ready = c.init && c.state.ExitCode == 0
		}
		out[i] = s
	}
	return out
}

// terminated is c's ended state, as Kubernetes words it.
func terminated(c *container) *corev1.ContainerStateTerminated {
	t := &corev1.ContainerStateTerminated{
		ExitCode: c.state.ExitCode, Message: c.state.Error, ContainerID: "docker://" + c.id,
		StartedAt:  metav1.NewTime(c.state.StartedAt).Rfc3339Copy(),
		FinishedAt: metav1.NewTime(c.state.FinishedAt).Rfc3339Copy(),
		Reason:     "Error",
	}
	switch {
	case c.state.OOMKilled:
		t.Reason = "OOMKilled"
	case c.state.Status == "created":
		t.Reason = "StartError"
	case c.state.ExitCode == 0:
		t.Reason = "Completed"
	}
	return t
}

// setCondition sets a condition of type t, its transition time kept while
// its status does not change.
func setCondition(conds *[]corev1.PodCondition, t corev1.PodConditionType, ok bool) {
	status := corev1.ConditionFalse
	if ok {
		status = corev1.ConditionTrue
	}
	for i := range *conds {
		if c := &(*conds)[i]; c.Type == t {
			if c.Status != status {
				c.Status, c.LastTransitionTime = status, metav1.Now().Rfc3339Copy()
			}
			return
		}
	}
	*conds = append(*conds, corev1.PodCondition{Type: t, Status: status, LastTransitionTime: metav1.Now().Rfc3339Copy()})
}

// terminate stops the pod's containers (SIGTERM, then SIGKILL after the
// grace period), removes them and the pod's volumes, and deletes the pod
// with grace 0, which ends a graceful deletion. A pod already gone from
// the API is only cleaned up.
func (w *podWorker) terminate(ctx context.Context, pod *corev1.Pod, deleted bool) {
	w.p.pod = pod
	grace := int64(corev1.DefaultTerminationGracePeriodSeconds)
	if pod.DeletionGracePeriodSeconds != nil {
		grace = *pod.DeletionGracePeriodSeconds
	}
	var running []string
	for _, c := range w.all() {
		if c.id != "" && c.state.Running {
			running = append(running, c.id)
		}
	}
	if err := w.n.docker.stop(ctx, running, grace); err != nil {
		w.warn(ctx, "stopping a deleted pod's containers", "err", err)
	}
	ids, err := w.n.docker.list(ctx, labelPodUID+"="+string(w.uid))
	if err == nil {
		err = w.n.docker.remove(ctx, ids)
	}
	if err != nil {
		w.warn(ctx, "removing a deleted pod's containers", "err", err)
	}
	if err := os.RemoveAll(w.dir); err != nil {
		w.warn(ctx, "removing a deleted pod's volumes", "err", err)
	}
	if deleted {
		return
	}
	err = w.n.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: new(int64), Preconditions: metav1.NewUIDPreconditions(string(pod.UID)),
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		w.warn(ctx, "deleting a terminated pod", "err", err)
	}
}

// warn logs a failure of the pod's, unless the agent is stopping, which
// fails what it was doing.
func (w *podWorker) warn(ctx context.Context, msg string, args ...any) {
	if ctx.Err() == nil {
		w.n.log.Warn(msg, append([]any{"pod", podName(w.p.pod)}, args...)...)
	}
}

func podName(pod *corev1.Pod) string { return pod.Namespace + "/" + pod.Name }
