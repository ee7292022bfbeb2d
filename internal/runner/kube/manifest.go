package kube

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tuskdata/tusk/internal/runner"
	"github.com/tuskdata/tusk/internal/tusk"
)

// Labels and annotations of the objects the runner makes.
const (
	labelManagedBy = "app.kubernetes.io/managed-by"
	managedBy      = "tusk"
	labelCluster   = "tusk.dev/cluster"
	labelServer    = "tusk.dev/server"
	labelPipeline  = "tusk.dev/pipeline"
	labelVersion   = "tusk.dev/version"
	// annotationHash holds the hash of the Deployment's pod template, by
	// which Ensure sees that nothing changed.
	annotationHash = "tusk.dev/spec-hash"
	// annotationPipeline holds the pipeline's name as it is, which its
	// label may only hash.
	annotationPipeline = "tusk.dev/pipeline-name"
)

// Paths and names inside a worker pod.
const (
	binDir       = "/tusk-bin"       // the emptyDir the init container copies the binary into
	binPath      = binDir + "/tusk"  // the worker's command
	pfsPath      = "/pfs"            // an emptyDir where the shim lays out datums
	caDir        = "/tusk-server-ca" // the server's CA, from the version's Secret
	caKey        = "server-ca.pem"
	tokenKey     = "token"
	workerName   = "worker"
	installName  = "tusk-install"
	binVolume    = "tusk-bin"
	pfsVolume    = "pfs"
	caVolume     = "tusk-server-ca"
	podNameEnv   = "TUSK_POD_NAME"
	gracePeriod  = int64(10)
	imageBinPath = "/tusk" // the binary in Tusk's own image
	// secretFilesVolume and an index name the volume of a WorkerSpec's
	// SecretFiles.
	secretFilesVolume = "tusk-secret-files"
	// defaultGPUType is the resource of GPUs when the spec names none.
	defaultGPUType = "nvidia.com/gpu"
)

// capabilities are those a worker keeps: what a program running as root
// uses on files and processes of its own container (chown, writing
// others' files, setuid to drop to transform.user, signalling its
// processes), as in the docker runner.
var capabilities = []corev1.Capability{"CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID"}

// labelValueRE is what a label value may be, besides empty.
var labelValueRE = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)

// labelValue returns s if it may be a label value, else a hash of it.
func labelValue(s string) string {
	if len(s) <= 63 && labelValueRE.MatchString(s) {
		return s
	}
	return "h-" + shortHash(s, 16)
}

// shortHash returns the first n hex digits of the SHA-256 of s.
func shortHash(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:n]
}

// objectName names the Deployment and the Secret of a pipeline version:
// readable (the pipeline's name, lower-cased and cut short, and its
// version) and unique in the namespace (a hash of the cluster and the
// pipeline's name as it is). It leaves room in 63 characters for the
// suffixes of the pods' names.
func objectName(cluster, pipeline string, version int) string {
	readable := strings.Trim(strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, pipeline), "-")
	if len(readable) > 20 {
		readable = strings.TrimRight(readable[:20], "-")
	}
	return fmt.Sprintf("tusk-%s-v%d-%s", readable, version, shortHash(cluster+"/"+pipeline, 8))
}

// pipelineLabels select the objects of a pipeline.
func (r *Runner) pipelineLabels(pipeline string) map[string]string {
	return map[string]string{labelManagedBy: managedBy, labelCluster: r.opts.Cluster, labelPipeline: labelValue(pipeline)}
}

// versionLabels select the objects and pods of a pipeline version.
func (r *Runner) versionLabels(pipeline string, version int) map[string]string {
	l := r.pipelineLabels(pipeline)
	l[labelVersion] = strconv.Itoa(version)
	return l
}

// objectMeta is the metadata of a pipeline version's Deployment and
// Secret.
func (r *Runner) objectMeta(w runner.WorkerSpec) metav1.ObjectMeta {
	l := r.versionLabels(w.Pipeline, w.Version)
	l[labelServer] = r.opts.Server
	return metav1.ObjectMeta{Name: objectName(r.opts.Cluster, w.Pipeline, w.Version), Namespace: r.opts.Namespace,
		Labels: l, Annotations: map[string]string{annotationPipeline: w.Pipeline}}
}

// secret is the Secret of a pipeline version: its workers' token, and
// the server's CA if the runner has one.
func (r *Runner) secret(w runner.WorkerSpec, token string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: r.objectMeta(w), Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{tokenKey: []byte(token)}}
	if r.opts.ServerCA != "" {
		s.Data[caKey] = []byte(r.opts.ServerCA)
	}
	return s
}

// deployment is the Deployment of a pipeline version's workers, with the
// hash of its pod template as an annotation of both.
func (r *Runner) deployment(w runner.WorkerSpec) (*appsv1.Deployment, error) {
	tmpl, err := r.podTemplate(w)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(tmpl)
	if err != nil {
		return nil, fmt.Errorf("hash the pod template: %w", err)
	}
	hash := shortHash(string(b), 16)
	tmpl.Annotations = map[string]string{annotationHash: hash}
	meta := r.objectMeta(w)
	meta.Annotations[annotationHash] = hash
	replicas := int32(max(w.Workers, 0))
	return &appsv1.Deployment{
		ObjectMeta: meta,
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: r.versionLabels(w.Pipeline, w.Version)},
			// A worker gives its datums back when it stops; new pods
			// replace old ones only on a change within a version (a new
			// leader's token), all at once.
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
			Template: tmpl,
		},
	}, nil
}

// podTemplate is the pod of a worker of w: an init container of Tusk's
// image copies the binary into an emptyDir, and the pipeline's image runs
// it as the worker, with the version's token and the server's address
// and CA, its resources, and transform.user when it is numeric.
func (r *Runner) podTemplate(w runner.WorkerSpec) (corev1.PodTemplateSpec, error) {
	policy, err := runner.ImagePullPolicy(w.Image)
	if err != nil {
		return corev1.PodTemplateSpec{}, err
	}
	tuskPolicy, err := runner.ImagePullPolicy(r.opts.Image)
	if err != nil {
		return corev1.PodTemplateSpec{}, fmt.Errorf("the Tusk image: %w", err)
	}
	res, err := resources(w)
	if err != nil {
		return corev1.PodTemplateSpec{}, err
	}
	sc, userApplied, err := securityContext(w.User)
	if err != nil {
		return corev1.PodTemplateSpec{}, err
	}
	name := objectName(r.opts.Cluster, w.Pipeline, w.Version)
	args := []string{"worker", "--pipeline", w.Pipeline, "--id", "$(" + podNameEnv + ")",
		"--address", r.opts.ServerAddress, "--root", pfsPath}
	if userApplied {
		args = append(args, "--user-applied")
	}
	env := []corev1.EnvVar{
		{Name: podNameEnv, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
		{Name: tusk.WorkerTokenEnv, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: tokenKey}}},
	}
	if r.opts.ServerFingerprint != "" {
		env = append(env, corev1.EnvVar{Name: "TUSK_SERVER_FINGERPRINT", Value: r.opts.ServerFingerprint})
	}
	mounts := []corev1.VolumeMount{
		{Name: binVolume, MountPath: binDir, ReadOnly: true},
		{Name: pfsVolume, MountPath: pfsPath},
	}
	volumes := []corev1.Volume{
		{Name: binVolume, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		{Name: pfsVolume, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
	}
	if r.opts.ServerCA != "" {
		env = append(env, corev1.EnvVar{Name: "TUSK_SERVER_CA", Value: caDir + "/" + caKey})
		mounts = append(mounts, corev1.VolumeMount{Name: caVolume, MountPath: caDir, ReadOnly: true})
		volumes = append(volumes, corev1.Volume{Name: caVolume, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName: name, Items: []corev1.KeyToPath{{Key: caKey, Path: caKey}}}}})
	}
	for i, sf := range w.SecretFiles {
		if err := checkSecretPath(sf.Path); err != nil {
			return corev1.PodTemplateSpec{}, err
		}
		vol := fmt.Sprintf("%s%d", secretFilesVolume, i)
		mounts = append(mounts, corev1.VolumeMount{Name: vol, MountPath: sf.Path, ReadOnly: true})
		volumes = append(volumes, corev1.Volume{Name: vol, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName: secretFilesName(name, i)}}})
	}
	no, grace := false, gracePeriod
	labels := r.versionLabels(w.Pipeline, w.Version)
	labels[labelServer] = r.opts.Server
	tmpl := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{
				Name:            installName,
				Image:           r.opts.Image,
				ImagePullPolicy: corev1.PullPolicy(tuskPolicy),
				Command:         []string{imageBinPath, "install-binary", binDir},
				VolumeMounts:    []corev1.VolumeMount{{Name: binVolume, MountPath: binDir}},
				SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: &no,
					Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
			}},
			Containers: []corev1.Container{{
				Name:            workerName,
				Image:           w.Image,
				ImagePullPolicy: corev1.PullPolicy(policy),
				Command:         []string{binPath},
				Args:            args,
				Env:             env,
				VolumeMounts:    mounts,
				Resources:       res,
				SecurityContext: sc,
			}},
			Volumes:                       volumes,
			ServiceAccountName:            r.opts.ServiceAccount,
			RestartPolicy:                 corev1.RestartPolicyAlways,
			TerminationGracePeriodSeconds: &grace,
			// Workers reach the server, never the cluster's API.
			AutomountServiceAccountToken: &no,
			EnableServiceLinks:           &no,
			NodeSelector:                 w.NodeSelector,
			PriorityClassName:            w.PriorityClass,
			Tolerations:                  tolerations(w.Tolerations),
			ImagePullSecrets:             pullSecrets(w.PullSecrets),
		},
	}
	if err := patchPod(&tmpl.Spec, w.PodMergePatch, w.PodJSONPatch); err != nil {
		return corev1.PodTemplateSpec{}, err
	}
	return tmpl, nil
}

// resources are a worker's requests and limits: cpu and memory as the
// spec asks for them, its limits where it says, else its requests, as
// the docker runner limits containers; GPUs, an extended resource, as
// limits (Kubernetes makes a request of an extended resource its limit).
func resources(w runner.WorkerSpec) (corev1.ResourceRequirements, error) {
	var rr corev1.ResourceRequirements
	add := func(list *corev1.ResourceList, r runner.Resources) {
		if r.CPU > 0 {
			if *list == nil {
				*list = corev1.ResourceList{}
			}
			(*list)[corev1.ResourceCPU] = *resource.NewMilliQuantity(int64(r.CPU*1000+0.5), resource.DecimalSI)
		}
		if r.Memory > 0 {
			if *list == nil {
				*list = corev1.ResourceList{}
			}
			(*list)[corev1.ResourceMemory] = *resource.NewQuantity(r.Memory, resource.BinarySI)
		}
	}
	add(&rr.Requests, w.Requests)
	limits := w.Limits
	if limits.CPU == 0 {
		limits.CPU = w.Requests.CPU
	}
	if limits.Memory == 0 {
		limits.Memory = w.Requests.Memory
	}
	add(&rr.Limits, limits)
	if gpus := cmp.Or(w.Limits.GPUs, w.Requests.GPUs); gpus > 0 {
		if rr.Limits == nil {
			rr.Limits = corev1.ResourceList{}
		}
		kind := cmp.Or(w.Limits.GPUType, w.Requests.GPUType, defaultGPUType)
		rr.Limits[corev1.ResourceName(kind)] = *resource.NewQuantity(gpus, resource.DecimalSI)
	}
	for _, k := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, lim := rr.Requests[k], rr.Limits[k]
		if !req.IsZero() && !lim.IsZero() && req.Cmp(lim) > 0 {
			return rr, fmt.Errorf("resource_requests.%s (%s) is more than resource_limits.%s (%s)", k, req.String(), k, lim.String())
		}
	}
	return rr, nil
}

// securityContext is the worker container's: no privilege escalation,
// few capabilities, and transform.user ("uid" or "uid:gid") as the user
// and group, when it is numeric; then userApplied is true. A user named
// by name is one of the image's, which the worker, running as the
// image's user, switches to itself.
func securityContext(user string) (sc *corev1.SecurityContext, userApplied bool, err error) {
	no := false
	sc = &corev1.SecurityContext{AllowPrivilegeEscalation: &no,
		Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}, Add: capabilities}}
	if user == "" {
		return sc, false, nil
	}
	u, g, hasGroup := strings.Cut(user, ":")
	uid, err := strconv.ParseInt(u, 10, 64)
	if err != nil || uid < 0 {
		return sc, false, nil
	}
	gid := uid
	if hasGroup {
		if gid, err = strconv.ParseInt(g, 10, 64); err != nil || gid < 0 {
			return nil, false, fmt.Errorf("transform.user %q: a numeric user needs a numeric group on the kube runner", user)
		}
	}
	sc.RunAsUser, sc.RunAsGroup = &uid, &gid
	return sc, true, nil
}
