// Package kube runs pipeline workers as pods on Kubernetes, through
// client-go: one Deployment per pipeline version, whose replicas are the
// version's workers.
//
// Any image works unchanged, FROM scratch included: an init container of
// Tusk's own image (Options.Image, FROM scratch with the static binary at
// /tusk) copies the binary into an emptyDir, and the pipeline's image runs
// it as its command, `/tusk-bin/tusk worker …`, as PID 1 of the worker
// container. Datums are laid out in an emptyDir at /pfs. Workers dial the
// server at Options.ServerAddress (a Service in front of the servers, or
// one server), trusting Options.ServerFingerprint or Options.ServerCA
// when it serves TLS. Each pipeline version has a Secret of its own that
// holds its workers' token (runner.Credentials, issued for the
// Deployment's name), revoked when the version goes; a pod's worker ID is
// its pod name.
//
// Deployments, Secrets and their pods are labelled with the cluster of
// servers sharing a metadata store (tusk.dev/cluster), the server that
// made them (tusk.dev/server), the pipeline and its version. Ensure is
// cheap when nothing changed: it reads the version's Deployment and
// compares its spec hash annotation; a new version replaces the old one's
// Deployment, a change of worker count patches the replicas, and a pod
// that dies is replaced by its ReplicaSet. An idle autoscaling pipeline
// (Ensure of no workers) keeps its Deployment at zero replicas, with its
// Secret and token, as Pachyderm keeps a standby pipeline's replication
// controller, and its next job patches the replicas up again. Stop and Close delete with
// foreground propagation and wait until the pods are gone, since a
// worker of an old version that lives on would keep claiming datums. A
// server that begins to lead removes the Deployments of servers of its
// cluster that died (RemoveDeadWorkers), whose tokens it revoked. A
// worker's image, which the worker cannot see, is its pod's: WorkerImage
// reads the imageID that the node's kubelet reports for the worker
// container.
//
// The kube runner honours every runner.Feature (podspec.go): node
// selector, priority class, tolerations, GPUs (an extended resource, as
// limits, which Kubernetes makes the requests), image pull secrets (the
// Secrets of those names in the namespace: registry credentials are the
// cluster's, not Tusk's), and pod_spec then pod_patch applied to the pod
// spec last, as Pachyderm applies them. The patched spec must decode as a
// PodSpec with no unknown field. A patch may set serviceAccountName, but
// the pod still gets no API token unless the patch itself sets
// automountServiceAccountToken.
//
// Secrets Tusk keeps (tusk create secret), sealed in its own store, reach
// the code two ways. As variables (env_var and key), they come with each
// task from the server, as on every runner, and never enter the cluster.
// As files (mount_path), the runner copies every key of the secret, from
// Options.Secrets, into a Secret of the version (secretfiles.go, named
// after it with -files<i>, labelled like it so that it goes with it) and
// the pod mounts it read-only at mount_path.
package kube
