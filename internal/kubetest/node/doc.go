// Package node is a node agent for tests against a real Kubernetes
// control plane without a kubelet: it registers a Node and runs the Pods
// bound to it as containers on the local Docker engine, through the
// engine's API (dockerengine).
//
// What it emulates of a kubelet:
//   - the Node: capacity and allocatable cpu, memory and pods, a Ready
//     condition and no taints, and a Lease in kube-node-lease, renewed
//     with the conditions' heartbeat every 10 s;
//   - a sandbox per pod: a sleeping container of the pause image on the
//     node's Docker network (a bridge of its own unless Config.Network
//     names one) whose network namespace, IP and hostname every container
//     of the pod joins; the host is the network's gateway (Node.Gateway,
//     also host.docker.internal), where containers reach services of the
//     host that listen there;
//   - the API server for in-cluster clients: a forwarder on the gateway
//     to the API server of the agent's client (or Config.APIServer), at
//     KUBERNETES_SERVICE_HOST=host.docker.internal and
//     KUBERNETES_SERVICE_PORT in every container;
//   - init containers in order, each to completion, then the app
//     containers, made and started at once; restarts by restartPolicy (Always, OnFailure, Never) with
//     restart counts and a backoff from 1 s doubling to 30 s (a kubelet's is
//     10 s to 5 min); a restart starts the same Docker container again, so
//     its logs hold every run;
//   - volumes as host directories under the agent's directory: emptyDir
//     (writable by any user; medium Memory too), hostPath, secret,
//     configMap, downwardAPI and projected (service account token from
//     the TokenRequest API), the files written once at the pod's start;
//   - env and envFrom with $(VAR) expansion, fieldRef (metadata.name,
//     namespace, uid, labels, annotations, spec.nodeName,
//     serviceAccountName, status.podIP, hostIP), secretKeyRef and
//     configMapKeyRef; command and args as Kubernetes maps them onto the
//     image's entrypoint and cmd; workingDir; runAsUser and runAsGroup
//     (a group without a user is dropped); privileged;
//   - resources: limits cpu and memory as the engine's NanoCpus and
//     Memory, requests cpu as CpuShares, enforced by the engine;
//   - images by pull policy: Never needs the image present
//     (ErrImageNeverPull), IfNotPresent pulls a missing one, Always pulls
//     one from a registry but runs one the engine built or loaded as it
//     is, as Tusk's docker runner does (a kubelet would try to pull it);
//     a failed pull is ErrImagePull with the engine's message;
//   - pod status: phase, the conditions PodReadyToStartContainers,
//     Initialized, ContainersReady and Ready (ready = running, as there
//     are no probes), podIP, hostIP, startTime and container statuses
//     (imageID as a kubelet on Docker writes it: docker-pullable://NAME@sha256:…
//     for an image from a registry, else docker://sha256:…, known from
//     the container's creation), written with UpdateStatus when they
//     change: after each step, so Initialized as soon as the init
//     containers are done and Running as soon as the app containers run;
//     a container's death reaches the agent through the engine's event
//     stream, so no step waits on a poll;
//   - deletion: a pod with a deletionTimestamp has its containers stopped
//     (SIGTERM, then SIGKILL after the grace period), its containers and
//     volumes removed, and is deleted with grace 0.
//
// What it cannot: probes (liveness, readiness, startup), lifecycle
// hooks, cluster DNS, Services and kube-proxy (the API server's
// variables aside), kubectl logs and exec (Node.Logs reads a
// container's logs instead), eviction, ephemeral containers, and cgroup
// enforcement as a kubelet configures it (the engine applies the limits
// above, no more). A projected volume's source it cannot get (the CA
// config map needs a controller test control planes may not run) is
// logged and left out, where a kubelet would hold the pod back.
//
// Every container it makes is labelled with the node's name
// (tusk.kubenode.node), the pod's UID and the agent's host and process
// (tusk.kubenode.owner); when the agent stops (Run's context ends, or the
// test of Start is cleaned up) it removes them all, its network and
// directory, its Lease and its Node. An agent that starts removes the
// containers and networks of agents whose process died without doing
// so. The host reaches a pod at its IP on the node's network.
package node
