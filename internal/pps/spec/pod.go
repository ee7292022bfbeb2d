package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
)

// The fields of this file say where and how a pipeline's workers run, in
// Kubernetes' terms. Only a runner of pods (kube) honours them; the server
// refuses a spec that sets one its runner cannot honour.

// SchedulingSpec places a pipeline's worker pods.
type SchedulingSpec struct {
	// NodeSelector is the labels of the nodes the pods may run on.
	NodeSelector map[string]string `json:"node_selector,omitempty"`
	// PriorityClassName is the pods' PriorityClass.
	PriorityClassName string `json:"priority_class_name,omitempty"`
}

// A Toleration lets worker pods run on nodes with a matching taint.
// Operator and Effect may be written as Kubernetes writes them ("Exists",
// "NoSchedule") or as Pachyderm's protobuf enums ("EXISTS",
// "NO_SCHEDULE"); Op and TaintEffect give Kubernetes' names.
type Toleration struct {
	Key               string `json:"key,omitempty"`
	Operator          string `json:"operator,omitempty"`
	Value             string `json:"value,omitempty"`
	Effect            string `json:"effect,omitempty"`
	TolerationSeconds *int64 `json:"toleration_seconds,omitempty"`
}

// tolerationOperators and taintEffects map the spellings a spec may use
// to Kubernetes' names.
var (
	tolerationOperators = map[string]string{"": "", "EMPTY": "", "Exists": "Exists", "EXISTS": "Exists", "Equal": "Equal", "EQUAL": "Equal"}
	taintEffects        = map[string]string{"": "", "ALL_EFFECTS": "", "NoSchedule": "NoSchedule", "NO_SCHEDULE": "NoSchedule",
		"PreferNoSchedule": "PreferNoSchedule", "PREFER_NO_SCHEDULE": "PreferNoSchedule", "NoExecute": "NoExecute", "NO_EXECUTE": "NoExecute"}
)

// Op returns the toleration's operator as Kubernetes names it: "Exists",
// "Equal", or "" (which Kubernetes reads as Equal).
func (t Toleration) Op() string { return tolerationOperators[t.Operator] }

// TaintEffect returns the effect as Kubernetes names it, "" for all.
func (t Toleration) TaintEffect() string { return taintEffects[t.Effect] }

// GPU asks for Number GPUs of a Kubernetes extended resource, Type
// (default DefaultGPUType).
type GPU struct {
	Type   string `json:"type,omitempty"`
	Number int64  `json:"number,omitempty"`
}

// DefaultGPUType is the resource GPUs are counted in when gpu.type is
// left out: NVIDIA's device plugin's.
const DefaultGPUType = "nvidia.com/gpu"

// JSONText is a JSON document kept as text, as Pachyderm keeps pod_spec
// and pod_patch. A spec gives it as a string or, for convenience, as the
// object or list itself, which is kept as its compact text.
type JSONText string

// UnmarshalJSON takes a JSON string as the text, and any other JSON value
// as its compact text.
func (j *JSONText) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*j = JSONText(s)
		return nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return err
	}
	*j = JSONText(buf.String())
	return nil
}

// Names and label values, as Kubernetes checks them.
var (
	dnsSubdomainRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	qualifiedRE    = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
	labelValueRE   = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$`)
)

// checkSubdomain checks a Kubernetes object name.
func checkSubdomain(name, path, what string) error {
	if name == "" || len(name) > 253 || !dnsSubdomainRE.MatchString(name) {
		return errorAt(path, "is %q, which is not the name of a Kubernetes %s; use lower-case letters, digits, '-' and '.'", name, what)
	}
	return nil
}

// checkQualifiedName checks a label key or resource name: an optional
// DNS subdomain prefix and "/", then a name of at most 63 characters.
func checkQualifiedName(name, path, what string) error {
	prefix, local, hasPrefix := strings.Cut(name, "/")
	if !hasPrefix {
		prefix, local = "", name
	}
	if hasPrefix && (prefix == "" || len(prefix) > 253 || !dnsSubdomainRE.MatchString(prefix)) ||
		local == "" || len(local) > 63 || !qualifiedRE.MatchString(local) {
		return errorAt(path, "is %q, which is not a Kubernetes %s; write an optional DNS prefix and '/', then letters, digits, '-', '_' and '.'", name, what)
	}
	return nil
}

// checkPod checks the fields that place and shape worker pods.
func checkPod(p *Pipeline) error {
	if s := p.SchedulingSpec; s != nil {
		for _, k := range slices.Sorted(maps.Keys(s.NodeSelector)) {
			at := "scheduling_spec.node_selector." + k
			if err := checkQualifiedName(k, at, "label key"); err != nil {
				return err
			}
			if v := s.NodeSelector[k]; len(v) > 63 || !labelValueRE.MatchString(v) {
				return errorAt(at, "is %q, which is not a label value; use at most 63 letters, digits, '-', '_' and '.'", v)
			}
		}
		if s.PriorityClassName != "" {
			if err := checkSubdomain(s.PriorityClassName, "scheduling_spec.priority_class_name", "PriorityClass"); err != nil {
				return err
			}
		}
	}
	for i, t := range p.Tolerations {
		if err := checkToleration(t, fmt.Sprintf("tolerations[%d]", i)); err != nil {
			return err
		}
	}
	if err := checkGPUs(p.ResourceRequests, p.ResourceLimits); err != nil {
		return err
	}
	if t := p.Transform; t != nil {
		for i, name := range t.ImagePullSecrets {
			if err := checkSubdomain(name, fmt.Sprintf("transform.image_pull_secrets[%d]", i), "Secret"); err != nil {
				return err
			}
		}
	}
	if p.PodSpec != "" {
		var obj map[string]any
		if err := json.Unmarshal([]byte(p.PodSpec), &obj); err != nil || obj == nil {
			return errorAt("pod_spec", "is not a JSON object; give a JSON merge patch (RFC 7386) of the pod spec, such as {\"hostNetwork\": false}")
		}
	}
	if p.PodPatch != "" {
		if err := checkJSONPatch(p.PodPatch); err != nil {
			return errorAt("pod_patch", "is not a JSON patch (RFC 6902): %v; give a list of operations such as "+
				`[{"op": "add", "path": "/nodeSelector", "value": {"disk": "ssd"}}]`, err)
		}
	}
	return nil
}

// checkToleration checks a toleration as Kubernetes would.
func checkToleration(t Toleration, at string) error {
	op, ok := tolerationOperators[t.Operator]
	if !ok {
		return errorAt(at+".operator", "is %q; use \"Exists\" or \"Equal\" (or EXISTS, EQUAL)", t.Operator)
	}
	effect, ok := taintEffects[t.Effect]
	if !ok {
		return errorAt(at+".effect", "is %q; use \"NoSchedule\", \"PreferNoSchedule\" or \"NoExecute\" (or NO_SCHEDULE, PREFER_NO_SCHEDULE, NO_EXECUTE), or leave it out for all effects", t.Effect)
	}
	if t.Key != "" {
		if err := checkQualifiedName(t.Key, at+".key", "taint key"); err != nil {
			return err
		}
	}
	switch {
	case t.Key == "" && op != "Exists":
		return errorAt(at, "has no key, which tolerates every taint only with operator \"Exists\"; add a key or set the operator")
	case op == "Exists" && t.Value != "":
		return errorAt(at+".value", "is %q, but operator \"Exists\" matches any value; remove the value or use \"Equal\"", t.Value)
	case len(t.Value) > 63 || !labelValueRE.MatchString(t.Value):
		return errorAt(at+".value", "is %q, which is not a taint value; use at most 63 letters, digits, '-', '_' and '.'", t.Value)
	case t.TolerationSeconds != nil && effect != "NoExecute":
		return errorAt(at+".toleration_seconds", "is set, which only effect \"NoExecute\" uses; set the effect or remove it")
	}
	return nil
}

// checkGPUs checks the GPUs of requests and limits, and fills in their
// type. Kubernetes counts GPUs as an extended resource, whose request is
// its limit: the two may not differ.
func checkGPUs(requests, limits *Resources) error {
	var gpus []*GPU
	for _, r := range []struct {
		res  *Resources
		path string
	}{{requests, "resource_requests.gpu"}, {limits, "resource_limits.gpu"}} {
		if r.res == nil || r.res.GPU == nil {
			continue
		}
		g := r.res.GPU
		if *g == (GPU{}) {
			r.res.GPU = nil
			continue
		}
		if g.Number < 1 {
			return errorAt(r.path+".number", "is %d; ask for 1 or more GPUs, or remove gpu", g.Number)
		}
		if g.Type == "" {
			g.Type = DefaultGPUType
		}
		if err := checkQualifiedName(g.Type, r.path+".type", "resource name"); err != nil {
			return err
		}
		gpus = append(gpus, g)
	}
	if len(gpus) == 2 && *gpus[0] != *gpus[1] {
		return errorAt("resource_requests.gpu", "is %d of %s and resource_limits.gpu %d of %s; GPUs are not shared, so a request must equal its limit: set one of them",
			gpus[0].Number, gpus[0].Type, gpus[1].Number, gpus[1].Type)
	}
	return nil
}

// checkJSONPatch checks that text is a JSON patch whose operations are
// known and have paths.
func checkJSONPatch(text JSONText) error {
	patch, err := jsonpatch.DecodePatch([]byte(text))
	if err != nil {
		return err
	}
	for i, op := range patch {
		switch kind := op.Kind(); kind {
		case "add", "remove", "replace", "move", "copy", "test":
		default:
			return fmt.Errorf("operation %d has op %q, want add, remove, replace, move, copy or test", i, kind)
		}
		p, err := op.Path()
		if err != nil || p != "" && !strings.HasPrefix(p, "/") {
			return fmt.Errorf("operation %d has no path starting with \"/\"", i)
		}
	}
	return nil
}

// checkMountPath checks where a secret's keys appear as files.
func checkMountPath(mount, at string) error {
	switch {
	case !path.IsAbs(mount) || path.Clean(mount) != mount:
		return errorAt(at, "is %q; give a clean absolute directory, such as \"/etc/creds\"", mount)
	case mount == "/" || mount == "/pfs" || strings.HasPrefix(mount, "/pfs/"):
		return errorAt(at, "is %q, where the worker's own files are; use a directory of its own, such as \"/etc/creds\"", mount)
	}
	return nil
}
