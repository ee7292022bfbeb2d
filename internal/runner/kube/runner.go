package kube

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tuskdata/tusk/internal/runner"
)

// Options configure a kube runner.
type Options struct {
	// API is the cluster's API in Namespace (NewAPI, Connect).
	API API
	// Namespace is where the runner makes its Deployments and Secrets.
	Namespace string
	// Image is Tusk's own image, FROM scratch with the static binary at
	// /tusk, which the init container of every worker pod runs.
	Image string
	// ServerAddress is what workers dial: the URL of a Service in front of
	// the servers, or of one server.
	ServerAddress string
	// ServerCA (PEM) or ServerFingerprint (SHA256:…), if not empty, is
	// what workers trust the server's certificate by.
	ServerCA, ServerFingerprint string
	// Cluster identifies the servers sharing one metadata store, and
	// Server this run of this server among them. Every object carries
	// both: a server's Close removes its own, and a server that begins to
	// lead removes those of servers that died (RemoveDeadWorkers); no
	// runner touches another cluster's.
	Cluster, Server string
	// ServiceAccount, if not empty, is the service account of worker
	// pods; they never get its API token.
	ServiceAccount string
	// Credentials give each pipeline version's workers a token; nil gives
	// none (a server without authentication).
	Credentials runner.Credentials
	// Secrets opens the secrets whose keys workers find as files
	// (WorkerSpec.SecretFiles); nil refuses those.
	Secrets SecretSource
	// StopTimeout bounds the wait for the pods of a Deployment being
	// deleted to be gone; default DefaultStopTimeout.
	StopTimeout time.Duration
	Logger      *slog.Logger
}

// DefaultStopTimeout is how long Stop, Close and a version's replacement
// wait for pods to go: their grace period and some.
const DefaultStopTimeout = 2 * time.Minute

// pollInterval is how often the runner looks whether pods are gone.
const pollInterval = 250 * time.Millisecond

// Runner runs each pipeline version's workers as the pods of a
// Deployment.
type Runner struct {
	opts Options
	api  API
	log  *slog.Logger

	mu     sync.Mutex
	closed bool

	images podImages // of worker pods (images.go)
}

var _ runner.Runner = (*Runner)(nil)

// New checks the options and that the namespace can be read.
func New(ctx context.Context, opts Options) (*Runner, error) {
	switch {
	case opts.API.Deployments == nil || opts.API.Secrets == nil || opts.API.Pods == nil:
		return nil, errors.New("kube runner: no client")
	case opts.Namespace == "":
		return nil, errors.New("kube runner: no namespace")
	case opts.Image == "":
		return nil, errors.New("kube runner: no Tusk image for the workers' init container")
	case opts.ServerAddress == "":
		return nil, errors.New("kube runner: no server address for workers to dial")
	case labelValue(opts.Cluster) != opts.Cluster || labelValue(opts.Server) != opts.Server:
		return nil, fmt.Errorf("kube runner: cluster ID %q and server ID %q must be label values", opts.Cluster, opts.Server)
	}
	if _, err := runner.ImagePullPolicy(opts.Image); err != nil {
		return nil, fmt.Errorf("kube runner: the Tusk image: %w", err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = DefaultStopTimeout
	}
	r := &Runner{opts: opts, api: opts.API, log: opts.Logger.WithGroup("kube-runner")}
	if _, err := r.api.Deployments.List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
		return nil, fmt.Errorf("kube runner: list Deployments in namespace %s: %w", opts.Namespace, err)
	}
	return r, nil
}

// Name returns "kube".
func (r *Runner) Name() string { return "kube" }

// Ensure makes the Deployment of the pipeline version run w.Workers pods:
// it deletes the Deployments of the pipeline's other versions (and waits
// for their pods to go), creates the version's, updates it if its pod
// template changed, and patches its replicas if the count did. When
// nothing changed it reads the Deployment and writes nothing. It reports
// a pod whose worker cannot start (an image that cannot be pulled, a
// container that keeps crashing).
func (r *Runner) Ensure(ctx context.Context, w runner.WorkerSpec) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return errors.New("kube runner: closed")
	}
	want, err := r.deployment(w)
	if err != nil {
		return fmt.Errorf("pipeline %s version %d: %w", w.Pipeline, w.Version, err)
	}
	deps := r.api.Deployments
	have, err := deps.Get(ctx, want.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return r.create(ctx, w, want)
	case err != nil:
		return fmt.Errorf("get Deployment %s: %w", want.Name, err)
	case have.Annotations[annotationHash] != want.Annotations[annotationHash]:
		return r.update(ctx, w, have, want)
	case have.Spec.Replicas == nil || *have.Spec.Replicas != *want.Spec.Replicas:
		patch := fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, *want.Spec.Replicas)
		if _, err := deps.Patch(ctx, want.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			return fmt.Errorf("scale Deployment %s to %d: %w", want.Name, *want.Spec.Replicas, err)
		}
		r.log.Info("worker Deployment scaled", "pipeline", w.Pipeline, "version", w.Version, "workers", w.Workers, "deployment", want.Name)
		return r.waitPods(ctx, labels.SelectorFromSet(want.Spec.Selector.MatchLabels), int(*want.Spec.Replicas))
	}
	if err := r.ensureService(ctx, w, have); err != nil {
		return err
	}
	if have.Status.ReadyReplicas < *want.Spec.Replicas {
		return r.podTrouble(ctx, want)
	}
	return nil
}

// create replaces the pipeline's other versions by this one: it deletes
// their Deployments, then makes this one's Secret, with a new token, and
// Deployment.
func (r *Runner) create(ctx context.Context, w runner.WorkerSpec, d *appsv1.Deployment) error {
	others := labels.SelectorFromSet(r.pipelineLabels(w.Pipeline))
	if err := r.remove(ctx, others, func(o metav1.Object) bool { return o.GetLabels()[labelVersion] != strconv.Itoa(w.Version) }); err != nil {
		return fmt.Errorf("remove the other versions of pipeline %s: %w", w.Pipeline, err)
	}
	token, err := r.issue(ctx, w.Pipeline, d.Name)
	if err != nil {
		return err
	}
	secrets := r.api.Secrets
	_, err = secrets.Create(ctx, r.secret(w, token), metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		// Left by an Ensure whose Deployment could not be made.
		old := r.token(ctx, d.Name)
		if _, err = secrets.Update(ctx, r.secret(w, token), metav1.UpdateOptions{}); err == nil {
			r.revoke(old, d.Name)
		}
	}
	if err != nil {
		r.revoke(token, d.Name)
		return fmt.Errorf("write Secret %s: %w", d.Name, err)
	}
	if err := r.writeSecretFiles(ctx, w); err != nil {
		return err
	}
	made, err := r.api.Deployments.Create(ctx, d, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create Deployment %s: %w", d.Name, err)
	}
	r.log.Info("worker Deployment created", "pipeline", w.Pipeline, "version", w.Version, "workers", w.Workers,
		"image", w.Image, "deployment", d.Name)
	return r.ensureService(ctx, w, made)
}

// update gives a version's Deployment a new pod template (its server or
// its options changed), with a new token in its Secret: the old pods go
// and new ones come. The old token is revoked.
func (r *Runner) update(ctx context.Context, w runner.WorkerSpec, have, want *appsv1.Deployment) error {
	old := r.token(ctx, want.Name)
	token, err := r.issue(ctx, w.Pipeline, want.Name)
	if err != nil {
		return err
	}
	if _, err := r.api.Secrets.Update(ctx, r.secret(w, token), metav1.UpdateOptions{}); err != nil {
		r.revoke(token, want.Name)
		return fmt.Errorf("update Secret %s: %w", want.Name, err)
	}
	if err := r.writeSecretFiles(ctx, w); err != nil {
		return err
	}
	want.ResourceVersion = have.ResourceVersion
	if _, err := r.api.Deployments.Update(ctx, want, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update Deployment %s: %w", want.Name, err)
	}
	r.revoke(old, want.Name)
	r.log.Info("worker Deployment replaced", "pipeline", w.Pipeline, "version", w.Version, "workers", w.Workers, "deployment", want.Name)
	return nil
}

// Stop deletes the pipeline's Deployments and Secrets, revokes their
// tokens, and waits until their pods are gone.
func (r *Runner) Stop(ctx context.Context, pipeline string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.remove(ctx, labels.SelectorFromSet(r.pipelineLabels(pipeline)), all)
}

// Close deletes every Deployment and Secret of this server, revokes their
// tokens, and waits until their pods are gone; Ensure then fails.
func (r *Runner) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	ctx, cancel := context.WithTimeout(context.Background(), r.opts.StopTimeout+30*time.Second)
	defer cancel()
	return r.remove(ctx, labels.SelectorFromSet(map[string]string{labelManagedBy: managedBy, labelCluster: r.opts.Cluster, labelServer: r.opts.Server}), all)
}

// RemoveDeadWorkers deletes the Deployments and Secrets of this runner's
// cluster that servers no longer alive made (alive says which are): a
// server that begins to lead calls it, since it revoked their tokens, and
// a Deployment outlives the server that made it. Those of this server, of
// a server alive or of another cluster are left alone.
func (r *Runner) RemoveDeadWorkers(ctx context.Context, alive func(server string) bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.remove(ctx, labels.SelectorFromSet(map[string]string{labelManagedBy: managedBy, labelCluster: r.opts.Cluster}), func(o metav1.Object) bool {
		s := o.GetLabels()[labelServer]
		return s != r.opts.Server && !alive(s)
	})
}

// all accepts every object.
func all(metav1.Object) bool { return true }

// remove deletes the Deployments among those sel selects that keep
// accepts, in the foreground, waits until their pods are gone, then
// deletes their Secrets and revokes their tokens.
func (r *Runner) remove(ctx context.Context, sel labels.Selector, keep func(metav1.Object) bool) error {
	deps := r.api.Deployments
	list, err := deps.List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return fmt.Errorf("list worker Deployments: %w", err)
	}
	fg := metav1.DeletePropagationForeground
	var errs []error
	var gone []appsv1.Deployment
	for _, d := range list.Items {
		if !keep(&d) {
			continue
		}
		if err := deps.Delete(ctx, d.Name, metav1.DeleteOptions{PropagationPolicy: &fg}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete Deployment %s: %w", d.Name, err))
			continue
		}
		gone = append(gone, d)
	}
	for _, d := range gone {
		if err := r.waitPods(ctx, labels.SelectorFromSet(d.Spec.Selector.MatchLabels), 0); err != nil {
			errs = append(errs, err)
		} else if err := r.waitGone(ctx, d.Name); err != nil {
			errs = append(errs, err)
		}
		r.log.Info("worker Deployment deleted", "pipeline", d.Annotations[annotationPipeline], "version", d.Labels[labelVersion], "deployment", d.Name)
	}
	secrets, err := r.api.Secrets.List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("list worker Secrets: %w", err))...)
	}
	for _, s := range secrets.Items {
		if !keep(&s) {
			continue
		}
		if err := r.api.Secrets.Delete(ctx, s.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete Secret %s: %w", s.Name, err))
			continue
		}
		if _, files := s.Labels[labelSecretFiles]; !files {
			r.revoke(string(s.Data[tokenKey]), s.Name)
		}
	}
	return errors.Join(errs...)
}

// waitGone waits until the Deployment name is gone: under foreground
// deletion it outlives its pods until the garbage collector has removed
// its ReplicaSets, and a version started again (start pipeline after
// stop) could not be created under its name until then.
func (r *Runner) waitGone(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, r.opts.StopTimeout)
	defer cancel()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		_, err := r.api.Deployments.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("worker Deployment %s is still being deleted after %s (its pods are gone: see kubectl describe deployment %s)", name, r.opts.StopTimeout, name)
		case <-tick.C:
		}
	}
}

// waitPods waits until at most n pods that sel selects exist, or fails
// after the stop timeout naming those left.
func (r *Runner) waitPods(ctx context.Context, sel labels.Selector, n int) error {
	ctx, cancel := context.WithTimeout(ctx, r.opts.StopTimeout)
	defer cancel()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		pods, err := r.api.Pods.List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
		if err == nil && len(pods.Items) <= n {
			return nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("list the worker pods of %s: %w", sel, err)
			}
			var names []string
			for _, p := range pods.Items {
				names = append(names, p.Name)
			}
			return fmt.Errorf("worker pods %v (%s) still exist after %v, want at most %d: %w", names, sel, r.opts.StopTimeout, n, ctx.Err())
		case <-tick.C:
		}
	}
}

// podTrouble reports a pod of d whose worker cannot start: a container
// waiting for a reason other than starting up (ErrImagePull,
// ImagePullBackOff, CrashLoopBackOff, CreateContainerConfigError, …),
// with Kubernetes' message.
func (r *Runner) podTrouble(ctx context.Context, d *appsv1.Deployment) error {
	pods, err := r.api.Pods.List(ctx, metav1.ListOptions{
		LabelSelector: labels.SelectorFromSet(d.Spec.Selector.MatchLabels).String()})
	if err != nil {
		return fmt.Errorf("list the worker pods of Deployment %s: %w", d.Name, err)
	}
	for _, p := range pods.Items {
		statuses := append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...)
		for _, s := range statuses {
			if wt := s.State.Waiting; wt != nil && wt.Reason != "" && wt.Reason != "ContainerCreating" && wt.Reason != "PodInitializing" {
				return fmt.Errorf("worker pod %s, container %s: %s: %s", p.Name, s.Name, wt.Reason, wt.Message)
			}
		}
	}
	return nil
}

// issue issues the token of a pipeline version's workers, named after
// its Deployment; none without credentials.
func (r *Runner) issue(ctx context.Context, pipeline, name string) (string, error) {
	if r.opts.Credentials == nil {
		return "", nil
	}
	token, err := r.opts.Credentials.Issue(ctx, pipeline, name)
	if err != nil {
		return "", fmt.Errorf("issue the token of %s: %w", name, err)
	}
	return token, nil
}

// token returns the token in a version's Secret, "" if none.
func (r *Runner) token(ctx context.Context, name string) string {
	s, err := r.api.Secrets.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return ""
	}
	return string(s.Data[tokenKey])
}

// revoke revokes a token, if any, and logs a failure.
func (r *Runner) revoke(token, name string) {
	if token == "" || r.opts.Credentials == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.opts.Credentials.Revoke(ctx, token); err != nil {
		r.log.Warn("revoke a worker token", "deployment", name, "err", err)
	}
}
