package node

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// prepareVolumes makes the pod's volumes as host directories under dir,
// as a kubelet does under /var/lib/kubelet/pods, and records their paths
// in p.volumes: an emptyDir is a directory anyone may write (whatever
// the containers' users), a hostPath is the host's path, and secrets,
// config maps, downward API and projected volumes are directories of the
// files they hold, written once when the pod starts.
func (p *podContext) prepareVolumes(ctx context.Context, dir string, log *slog.Logger) error {
	p.volumes = map[string]string{}
	for _, v := range p.pod.Spec.Volumes {
		path := filepath.Join(dir, "volumes", v.Name)
		var files map[string][]byte
		var err error
		switch {
		case v.HostPath != nil:
			path = v.HostPath.Path
			if t := v.HostPath.Type; t != nil && *t == corev1.HostPathDirectoryOrCreate {
				err = os.MkdirAll(v.HostPath.Path, 0o755)
			}
		case v.EmptyDir != nil:
		case v.Projected != nil:
			files = p.projected(ctx, v.Projected.Sources, log)
		default:
			src, ok := asProjection(v.VolumeSource)
			if !ok {
				err = fmt.Errorf("only emptyDir, hostPath, secret, configMap, downwardAPI and projected volumes are emulated")
				break
			}
			files, err = p.files(ctx, src)
		}
		if err == nil && v.HostPath == nil {
			err = writeVolume(path, files)
		}
		if err != nil {
			return fmt.Errorf("volume %s: %w", v.Name, err)
		}
		p.volumes[v.Name] = path
	}
	return nil
}

// writeVolume makes dir, writable by anyone, with files in it.
func writeVolume(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		return err
	}
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// pick maps the keys of data to file names as items say, or each key to a
// file of its name if items is empty.
func pick(data map[string][]byte, items []corev1.KeyToPath) map[string][]byte {
	if len(items) == 0 {
		return data
	}
	files := make(map[string][]byte, len(items))
	for _, it := range items {
		if b, ok := data[it.Key]; ok {
			files[it.Path] = b
		}
	}
	return files
}

// downward returns the files of a downward API volume.
func (p *podContext) downward(items []corev1.DownwardAPIVolumeFile) (map[string][]byte, error) {
	files := make(map[string][]byte, len(items))
	for _, it := range items {
		if it.FieldRef == nil {
			return nil, fmt.Errorf("%s: only fieldRef is emulated", it.Path)
		}
		v, err := p.field(it.FieldRef.FieldPath)
		if err != nil {
			return nil, err
		}
		files[it.Path] = []byte(v)
	}
	return files, nil
}

// projected returns the files of a projected volume, such as the service
// account's token, CA and namespace that admission adds to every pod.
// Unlike a kubelet, which would hold the pod back, it logs a source it
// cannot get and goes on without it: the CA's config map needs a
// controller a test control plane may not run.
func (p *podContext) projected(ctx context.Context, sources []corev1.VolumeProjection, log *slog.Logger) map[string][]byte {
	files := map[string][]byte{}
	for _, s := range sources {
		got, err := p.files(ctx, s)
		if err != nil {
			log.Warn("a source of a projected volume is left out", "pod", p.pod.Namespace+"/"+p.pod.Name, "err", err)
		}
		for k, v := range got {
			files[k] = v
		}
	}
	return files
}

// asProjection returns a secret, config map or downward API volume as
// the same source of a projected volume.
func asProjection(v corev1.VolumeSource) (corev1.VolumeProjection, bool) {
	switch {
	case v.Secret != nil:
		return corev1.VolumeProjection{Secret: &corev1.SecretProjection{
			LocalObjectReference: corev1.LocalObjectReference{Name: v.Secret.SecretName}, Items: v.Secret.Items, Optional: v.Secret.Optional,
		}}, true
	case v.ConfigMap != nil:
		return corev1.VolumeProjection{ConfigMap: &corev1.ConfigMapProjection{
			LocalObjectReference: v.ConfigMap.LocalObjectReference, Items: v.ConfigMap.Items, Optional: v.ConfigMap.Optional,
		}}, true
	case v.DownwardAPI != nil:
		return corev1.VolumeProjection{DownwardAPI: &corev1.DownwardAPIProjection{Items: v.DownwardAPI.Items}}, true
	}
	return corev1.VolumeProjection{}, false
}

// files returns the files of one source of a projected volume.
func (p *podContext) files(ctx context.Context, s corev1.VolumeProjection) (map[string][]byte, error) {
	switch {
	case s.Secret != nil:
		data, err := p.secret(ctx, s.Secret.Name, s.Secret.Optional)
		return pick(data, s.Secret.Items), err
	case s.ConfigMap != nil:
		data, err := p.configMap(ctx, s.ConfigMap.Name, s.ConfigMap.Optional)
		return pick(data, s.ConfigMap.Items), err
	case s.DownwardAPI != nil:
		return p.downward(s.DownwardAPI.Items)
	case s.ServiceAccountToken != nil:
		return p.token(ctx, s.ServiceAccountToken)
	}
	return nil, fmt.Errorf("only secret, configMap, downwardAPI and serviceAccountToken sources are emulated")
}

// token asks the API server for a token of the pod's service account,
// bound to the pod.
func (p *podContext) token(ctx context.Context, s *corev1.ServiceAccountTokenProjection) (map[string][]byte, error) {
	req := &authv1.TokenRequest{Spec: authv1.TokenRequestSpec{
		ExpirationSeconds: s.ExpirationSeconds,
		BoundObjectRef:    &authv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: p.pod.Name, UID: p.pod.UID},
	}}
	if s.Audience != "" {
		req.Spec.Audiences = []string{s.Audience}
	}
	sa := p.pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	tr, err := p.client.CoreV1().ServiceAccounts(p.pod.Namespace).CreateToken(ctx, sa, req, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("token of service account %s: %w", sa, err)
	}
	return map[string][]byte{s.Path: []byte(tr.Status.Token)}, nil
}
