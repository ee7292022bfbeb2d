// Package runner defines how pipeline workers are hosted: a Runner starts
// and stops the workers of each pipeline version, and every Runner hosts
// the same worker shim (the tusk binary), as a local process (package
// process), a container (package docker) or a pod (package kube). The scheduler
// only sees this interface, so new runners need no scheduler change.
// What a runner promises is checked by the conformance suite that every
// runner's tests run (package runnertest).
package runner

import "context"

// Runner starts and stops the workers of pipelines.
type Runner interface {
	// Name says what kind of runner this is ("process", "docker").
	Name() string
	// Ensure makes Workers workers of this pipeline version run: the
	// workers of other versions are gone when it returns, and scaling
	// starts or removes only the difference. Workers that die come back
	// by themselves. It is called often and must be cheap when nothing
	// changes. Workers 0 is an idle autoscaling pipeline (STANDBY): no
	// worker runs when it returns, and the runner may keep what the
	// version needs to scale up again fast (the kube runner keeps its
	// Deployment, at zero replicas, and its token).
	Ensure(ctx context.Context, w WorkerSpec) error
	// Stop removes a pipeline's workers, and anything the runner kept of
	// it, before it returns: the pipeline was stopped or deleted.
	Stop(ctx context.Context, pipeline string) error
	// Close removes every worker this runner started; Ensure then fails.
	Close() error
}

// WorkerSpec describes the workers a pipeline version needs: what a
// runner must know to host them, and nothing more. What a worker runs
// (command, stdin, environment, working directory, datum timeout) comes
// with each datum it claims from the server, so runners never see it.
type WorkerSpec struct {
	Pipeline string
	Version  int
	// Workers is how many workers run at once.
	Workers int
	// Image is the pipeline's transform.image, which a runner with
	// containers runs the worker in.
	Image string
	// User is transform.user ("name", "uid" or "uid:gid"), or "" for the
	// image's default user.
	User string
	// Requests and Limits are the pipeline's resource_requests and
	// resource_limits; zero fields are not set.
	Requests, Limits Resources
	// Service is the port a service's worker serves, nil for other
	// pipelines.
	Service *Service

	// What follows only some runners honour (Feature).

	// NodeSelector and PriorityClass place the workers' pods.
	NodeSelector  map[string]string
	PriorityClass string
	// Tolerations let the pods run on nodes with matching taints.
	Tolerations []Toleration
	// PullSecrets name the Kubernetes Secrets the image is pulled with.
	PullSecrets []string
	// PodMergePatch (a JSON merge patch, RFC 7386) and then PodJSONPatch
	// (a JSON patch, RFC 6902) are applied to the pod spec last.
	PodMergePatch, PodJSONPatch string
	// SecretFiles are secrets whose keys the code finds as files.
	SecretFiles []SecretFiles
}

// A Toleration tolerates a taint, as Kubernetes has it: Operator is
// "Exists", "Equal" or ""; Effect "NoSchedule", "PreferNoSchedule",
// "NoExecute" or "" for all.
type Toleration struct {
	Key, Operator, Value, Effect string
	// Seconds, if not nil, is how long a NoExecute taint is tolerated.
	Seconds *int64
}

// SecretFiles puts every key of a secret (tusk create secret) as a file in
// the directory Path.
type SecretFiles struct {
	Secret, Path string
}

// A Feature is something a WorkerSpec may ask for that not every runner
// honours. A runner that honours some says which with a method
// Supports(Feature) bool; the scheduler refuses to hand a runner a
// WorkerSpec with features it does not support.
type Feature string

// The features of a WorkerSpec beyond image, user, cpu and memory.
const (
	FeatureNodeSelector  Feature = "node selector"
	FeaturePriorityClass Feature = "priority class"
	FeatureTolerations   Feature = "tolerations"
	FeatureGPU           Feature = "GPUs"
	FeaturePullSecrets   Feature = "image pull secrets"
	FeaturePodPatch      Feature = "pod patches"
	FeatureSecretFiles   Feature = "secret files"
)

// Features lists what of w not every runner honours.
func (w WorkerSpec) Features() []Feature {
	var fs []Feature
	add := func(f Feature, asked bool) {
		if asked {
			fs = append(fs, f)
		}
	}
	add(FeatureNodeSelector, len(w.NodeSelector) > 0)
	add(FeaturePriorityClass, w.PriorityClass != "")
	add(FeatureTolerations, len(w.Tolerations) > 0)
	add(FeatureGPU, w.Requests.GPUs > 0 || w.Limits.GPUs > 0)
	add(FeaturePullSecrets, len(w.PullSecrets) > 0)
	add(FeaturePodPatch, w.PodMergePatch != "" || w.PodJSONPatch != "")
	add(FeatureSecretFiles, len(w.SecretFiles) > 0)
	return fs
}

// Service is the port of a service pipeline's worker, and where to
// publish it.
type Service struct {
	// Port is the port the command listens on (internal_port).
	Port int
	// HostPort is where it is published (external_port; a NodePort
	// under Kubernetes).
	HostPort int
	// HostIP is the address it is published on, "" for the runner's
	// default (the docker runner's is 127.0.0.1).
	HostIP string
	// Type is the Kubernetes Service's type: "NodePort" or "ClusterIP".
	Type string
}

// An Addresser says where a service's port is published, for inspect
// pipeline to show. Runners that publish ports implement it.
type Addresser interface {
	ServiceAddress(w WorkerSpec) string
}

// Resources are the resources of one worker.
type Resources struct {
	// CPU is in cores, possibly fractional.
	CPU float64
	// Memory is in bytes.
	Memory int64
	// Pids is the most processes and threads a worker may hold, set only
	// in Limits.
	Pids int64
	// GPUs is how many GPUs of GPUType (a Kubernetes extended resource
	// such as "nvidia.com/gpu") a worker gets.
	GPUs    int64
	GPUType string
}

// Credentials gives each worker a token of its own when it starts,
// revoked when it stops: the token speaks for the worker's pipeline,
// which may read its inputs and write its output, and nothing else.
// Workers find it in $TUSK_WORKER_TOKEN (tusk.WorkerTokenEnv).
type Credentials interface {
	Issue(ctx context.Context, pipeline, worker string) (token string, err error)
	Revoke(ctx context.Context, token string) error
}
