package kube

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	corev1 "k8s.io/api/core/v1"

	"github.com/tuskdata/tusk/internal/runner"
)

// Supports reports that the kube runner honours every feature a
// WorkerSpec may ask for: pods are where they come from.
func (r *Runner) Supports(runner.Feature) bool { return true }

// Check builds the objects of w, as Ensure would, and returns what is
// wrong with them: a pod patch that does not apply, or that leaves
// fields Kubernetes does not have; a secret's directory over the
// worker's own; a NodePort service whose port is not a NodePort.
func (r *Runner) Check(w runner.WorkerSpec) error {
	if err := checkNodePort(w.Service); err != nil {
		return err
	}
	_, err := r.deployment(w)
	return err
}

// tolerations converts a WorkerSpec's tolerations.
func tolerations(ts []runner.Toleration) []corev1.Toleration {
	var out []corev1.Toleration
	for _, t := range ts {
		out = append(out, corev1.Toleration{Key: t.Key, Operator: corev1.TolerationOperator(t.Operator), Value: t.Value,
			Effect: corev1.TaintEffect(t.Effect), TolerationSeconds: t.Seconds})
	}
	return out
}

// pullSecrets refers to the Secrets of the namespace that names name.
func pullSecrets(names []string) []corev1.LocalObjectReference {
	var out []corev1.LocalObjectReference
	for _, n := range names {
		out = append(out, corev1.LocalObjectReference{Name: n})
	}
	return out
}

// patchPod applies the spec's pod_spec (a JSON merge patch) and then its
// pod_patch (a JSON patch) to the pod spec, as Pachyderm does. A field
// the result has that a PodSpec has not is an error, not dropped. The
// pod keeps no service account token unless a patch asks for one by
// setting automountServiceAccountToken.
func patchPod(spec *corev1.PodSpec, mergePatch, jsonPatch string) error {
	if mergePatch == "" && jsonPatch == "" {
		return nil
	}
	doc, err := json.Marshal(spec)
	if err != nil {
		return fmt.Errorf("encode the pod spec: %w", err)
	}
	if mergePatch != "" {
		if doc, err = jsonpatch.MergePatch(doc, []byte(mergePatch)); err != nil {
			return fmt.Errorf("pod_spec does not apply to the pod spec as a JSON merge patch: %w", err)
		}
	}
	if jsonPatch != "" {
		patch, err := jsonpatch.DecodePatch([]byte(jsonPatch))
		if err != nil {
			return fmt.Errorf("pod_patch is not a JSON patch: %w", err)
		}
		if doc, err = patch.Apply(doc); err != nil {
			return fmt.Errorf("pod_patch does not apply to the pod spec: %w; compare its paths with the pod spec of the pipeline's Deployment (kubectl get deployment -l tusk.dev/pipeline=PIPELINE -o yaml)", err)
		}
	}
	var patched corev1.PodSpec
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&patched); err != nil {
		return fmt.Errorf("the pod spec after pod_spec and pod_patch is not a Kubernetes PodSpec: %w; check the fields' spelling (lowerCamelCase, as in kubectl's YAML)", err)
	}
	if patched.AutomountServiceAccountToken == nil {
		no := false
		patched.AutomountServiceAccountToken = &no
	}
	*spec = patched
	return nil
}

// checkSecretPath refuses a directory for a secret's files that is the
// worker's own or holds one of its directories.
func checkSecretPath(path string) error {
	for _, own := range []string{binDir, pfsPath, caDir} {
		if path == own || strings.HasPrefix(path, own+"/") || strings.HasPrefix(own, path+"/") {
			return fmt.Errorf("transform.secrets mount_path %s overlaps the worker's own directory %s; use another directory", path, own)
		}
	}
	return nil
}
