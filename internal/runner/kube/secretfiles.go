package kube

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tuskdata/tusk/internal/runner"
)

// A SecretSource opens the secrets Tusk keeps (tusk create secret): the
// values of their keys.
type SecretSource interface {
	Secret(ctx context.Context, name string) (map[string][]byte, error)
}

// labelSecretFiles marks the Secrets that hold a version's SecretFiles,
// with their index; they hold no token.
const labelSecretFiles = "tusk.dev/secret-files"

// secretFilesName names the Secret of the i-th SecretFiles of the version
// whose objects are named version.
func secretFilesName(version string, i int) string {
	return version + "-files" + strconv.Itoa(i)
}

// secretFiles is the Secret of the i-th SecretFiles of w, holding data.
func (r *Runner) secretFiles(w runner.WorkerSpec, i int, data map[string][]byte) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: r.objectMeta(w), Type: corev1.SecretTypeOpaque, Data: data}
	s.Name = secretFilesName(s.Name, i)
	s.Labels[labelSecretFiles] = strconv.Itoa(i)
	return s
}

// writeSecretFiles makes, or replaces, a Secret per SecretFiles of w with
// the keys of the Tusk secret it names, labelled like the version's own
// Secret so that they go with it. The worker pods mount them.
func (r *Runner) writeSecretFiles(ctx context.Context, w runner.WorkerSpec) error {
	if len(w.SecretFiles) > 0 && r.opts.Secrets == nil {
		return errors.New("kube runner: no source of secrets' values for transform.secrets' mount_path")
	}
	for i, sf := range w.SecretFiles {
		data, err := r.opts.Secrets.Secret(ctx, sf.Secret)
		if err != nil {
			return fmt.Errorf("secret %s, for mount_path %s: %w", sf.Secret, sf.Path, err)
		}
		s := r.secretFiles(w, i, data)
		_, err = r.api.Secrets.Create(ctx, s, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			_, err = r.api.Secrets.Update(ctx, s, metav1.UpdateOptions{})
		}
		if err != nil {
			return fmt.Errorf("write Secret %s: %w", s.Name, err)
		}
	}
	return nil
}
