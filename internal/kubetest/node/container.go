package node

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// podContext is what the containers of one pod are made from.
type podContext struct {
	client     kubernetes.Interface
	pod        *corev1.Pod
	hostIP     string
	podIP      string
	serviceEnv []string          // KEY=VALUE every container has first
	sandbox    string            // the container whose network namespace the pod's containers share
	volumes    map[string]string // volume name → host path
}

// createConfig is the body of the engine's container create call, with
// what the agent sets.
type createConfig struct {
	Image      string
	Hostname   string   `json:",omitempty"`
	Entrypoint []string `json:",omitempty"`
	Cmd        []string `json:",omitempty"`
	Env        []string `json:",omitempty"`
	WorkingDir string   `json:",omitempty"`
	User       string   `json:",omitempty"`
	Labels     map[string]string
	HostConfig hostConfig
}

type hostConfig struct {
	NetworkMode string   `json:",omitempty"`
	ExtraHosts  []string `json:",omitempty"`
	Mounts      []mount  `json:",omitempty"`
	Privileged  bool     `json:",omitempty"`
	NanoCPUs    int64    `json:"NanoCpus,omitempty"`
	Memory      int64    `json:",omitempty"`
	CPUShares   int64    `json:"CpuShares,omitempty"`
}

type mount struct {
	Type, Source, Target string
	ReadOnly             bool `json:",omitempty"`
}

// createConfig returns the engine's configuration of container c: the
// network namespace of the sandbox, the environment, mounts, user,
// working directory, resource limits and the command as a kubelet maps
// them onto the image.
func (p *podContext) createConfig(ctx context.Context, c *corev1.Container, labels map[string]string) (*createConfig, error) {
	env, err := p.env(ctx, c)
	if err != nil {
		return nil, err
	}
	cfg := &createConfig{Image: c.Image, Env: env, Labels: labels, WorkingDir: c.WorkingDir,
		User: user(p.pod.Spec.SecurityContext, c.SecurityContext), HostConfig: hostConfig{NetworkMode: "container:" + p.sandbox}}
	vars := make(map[string]string, len(env))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	for _, m := range c.VolumeMounts {
		src, ok := p.volumes[m.Name]
		if !ok {
			return nil, fmt.Errorf("container %s mounts volume %q, which the pod does not have", c.Name, m.Name)
		}
		if m.SubPath != "" {
			src += "/" + m.SubPath
		}
		cfg.HostConfig.Mounts = append(cfg.HostConfig.Mounts, mount{Type: "bind", Source: src, Target: m.MountPath, ReadOnly: m.ReadOnly})
	}
	if sc := c.SecurityContext; sc != nil && sc.Privileged != nil && *sc.Privileged {
		cfg.HostConfig.Privileged = true
	}
	if q, ok := c.Resources.Limits[corev1.ResourceCPU]; ok {
		cfg.HostConfig.NanoCPUs = q.MilliValue() * 1e6
	}
	if q, ok := c.Resources.Limits[corev1.ResourceMemory]; ok {
		cfg.HostConfig.Memory = q.Value()
	}
	if q, ok := c.Resources.Requests[corev1.ResourceCPU]; ok {
		cfg.HostConfig.CPUShares = max(2, q.MilliValue()*1024/1000)
	}
	// Kubernetes' command replaces the image's entrypoint and its args the
	// image's cmd; the engine drops the image's cmd when the entrypoint is
	// set, so a command without args runs without it.
	cfg.Entrypoint = expandAll(c.Command, vars)
	cfg.Cmd = expandAll(c.Args, vars)
	return cfg, nil
}

// user returns the engine's user for the container's security context, or
// the pod's where the container sets none; "" keeps the image's user. A
// group without a user cannot be said to docker and is left out.
func user(pod *corev1.PodSecurityContext, c *corev1.SecurityContext) string {
	var uid, gid *int64
	if pod != nil {
		uid, gid = pod.RunAsUser, pod.RunAsGroup
	}
	if c != nil && c.RunAsUser != nil {
		uid = c.RunAsUser
	}
	if c != nil && c.RunAsGroup != nil {
		gid = c.RunAsGroup
	}
	if uid == nil {
		return ""
	}
	if gid == nil {
		return strconv.FormatInt(*uid, 10)
	}
	return strconv.FormatInt(*uid, 10) + ":" + strconv.FormatInt(*gid, 10)
}

// env returns the container's environment as KEY=VALUE: the API
// server's address first, as a kubelet gives it, then envFrom, then env,
// each value with the $(VAR) references to earlier variables expanded.
func (p *podContext) env(ctx context.Context, c *corev1.Container) ([]string, error) {
	var order []string
	vars := map[string]string{}
	set := func(k, v string) {
		if _, ok := vars[k]; !ok {
			order = append(order, k)
		}
		vars[k] = v
	}
	for _, kv := range p.serviceEnv {
		k, v, _ := strings.Cut(kv, "=")
		set(k, v)
	}
	for _, from := range c.EnvFrom {
		data, err := p.source(ctx, from.ConfigMapRef, from.SecretRef)
		if err != nil {
			return nil, err
		}
		for _, k := range slices.Sorted(maps.Keys(data)) {
			set(from.Prefix+k, string(data[k]))
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			set(e.Name, expand(e.Value, vars))
			continue
		}
		v, ok, err := p.valueFrom(ctx, e.ValueFrom)
		if err != nil {
			return nil, fmt.Errorf("env %s of container %s: %w", e.Name, c.Name, err)
		}
		if ok {
			set(e.Name, v)
		}
	}
	env := make([]string, len(order))
	for i, k := range order {
		env[i] = k + "=" + vars[k]
	}
	return env, nil
}

// source returns the data of the config map or secret an envFrom names
// (one of them is set); an optional one that is missing has none.
func (p *podContext) source(ctx context.Context, cm *corev1.ConfigMapEnvSource, s *corev1.SecretEnvSource) (map[string][]byte, error) {
	if cm != nil {
		return p.configMap(ctx, cm.Name, cm.Optional)
	}
	return p.secret(ctx, s.Name, s.Optional)
}

// valueFrom resolves an env var's source; ok is false for an optional key
// that is missing, which leaves the variable unset.
func (p *podContext) valueFrom(ctx context.Context, from *corev1.EnvVarSource) (v string, ok bool, err error) {
	var data map[string][]byte
	var key string
	var optional *bool
	switch {
	case from.FieldRef != nil:
		v, err := p.field(from.FieldRef.FieldPath)
		return v, err == nil, err
	case from.ConfigMapKeyRef != nil:
		r := from.ConfigMapKeyRef
		key, optional = r.Key, r.Optional
		data, err = p.configMap(ctx, r.Name, r.Optional)
	case from.SecretKeyRef != nil:
		r := from.SecretKeyRef
		key, optional = r.Key, r.Optional
		data, err = p.secret(ctx, r.Name, r.Optional)
	default:
		return "", false, fmt.Errorf("only fieldRef, configMapKeyRef and secretKeyRef are emulated")
	}
	if err != nil {
		return "", false, err
	}
	b, ok := data[key]
	if !ok && !isTrue(optional) {
		return "", false, fmt.Errorf("key %q is missing", key)
	}
	return string(b), ok, nil
}

// field returns the value of a downward API field path.
func (p *podContext) field(path string) (string, error) {
	pod := p.pod
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.podIP", "status.podIPs":
		return p.podIP, nil
	case "status.hostIP", "status.hostIPs":
		return p.hostIP, nil
	}
	for prefix, m := range map[string]map[string]string{"metadata.labels": pod.Labels, "metadata.annotations": pod.Annotations} {
		if rest, ok := strings.CutPrefix(path, prefix+"['"); ok && strings.HasSuffix(rest, "']") {
			return m[strings.TrimSuffix(rest, "']")], nil
		}
	}
	return "", fmt.Errorf("field path %q is not emulated", path)
}

// configMap returns the data of a config map of the pod's namespace.
func (p *podContext) configMap(ctx context.Context, name string, optional *bool) (map[string][]byte, error) {
	cm, err := p.client.CoreV1().ConfigMaps(p.pod.Namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) && isTrue(optional) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("config map %s: %w", name, err)
	}
	data := make(map[string][]byte, len(cm.Data)+len(cm.BinaryData))
	for k, v := range cm.Data {
		data[k] = []byte(v)
	}
	for k, v := range cm.BinaryData {
		data[k] = v
	}
	return data, nil
}

// secret returns the data of a secret of the pod's namespace.
func (p *podContext) secret(ctx context.Context, name string, optional *bool) (map[string][]byte, error) {
	s, err := p.client.CoreV1().Secrets(p.pod.Namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) && isTrue(optional) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	data := make(map[string][]byte, len(s.Data)+len(s.StringData))
	for k, v := range s.StringData {
		data[k] = []byte(v)
	}
	for k, v := range s.Data {
		data[k] = v
	}
	return data, nil
}

func isTrue(b *bool) bool { return b != nil && *b }

// expandAll expands the $(VAR) references of each of ss.
func expandAll(ss []string, vars map[string]string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = expand(s, vars)
	}
	return out
}

// expand replaces $(VAR) in s by the value of VAR as Kubernetes does in
// env values, command and args: a reference to an unknown variable stays
// as written, and $$ is a literal $.
func expand(s string, vars map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteByte('$')
				continue
			}
			ref := s[i : i+3+end]
			if v, ok := vars[ref[2:len(ref)-1]]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(ref)
			}
			i += len(ref) - 1
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}
