package spec

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"

	"github.com/tuskdata/tusk/internal/tusk"
)

// Defaults are the cluster's pipeline defaults, as pachctl's create
// defaults --cluster takes them: fields of a pipeline spec that every spec
// created or updated afterwards gets unless it sets them itself. They are
// kept with canonical (snake_case) field names.
type Defaults map[string]any

// ParseDefaults reads defaults as pachctl writes them,
// {"create_pipeline_request": {...}}, or the spec fields alone, in JSON or
// YAML; a field a pipeline spec does not have is refused.
func ParseDefaults(data []byte) (Defaults, error) {
	docs, err := documents(data)
	if err != nil {
		return nil, err
	}
	if len(docs) != 1 {
		return nil, tusk.Errorf(tusk.KindInvalid, "want one object of pipeline defaults, got %d", len(docs))
	}
	v, ok := docs[0].value.(map[string]any)
	if !ok {
		return nil, tusk.Errorf(tusk.KindInvalid, "want an object of pipeline defaults, got %s", describe(docs[0].value))
	}
	for _, wrap := range []string{"create_pipeline_request", "createPipelineRequest"} {
		if inner, ok := v[wrap].(map[string]any); ok && len(v) == 1 {
			v = inner
		}
	}
	c, err := canonical(v, reflect.TypeFor[Pipeline](), "")
	if err != nil {
		return nil, tusk.Errorf(tusk.KindInvalid, "pipeline defaults: %v", err)
	}
	d, _ := c.(map[string]any)
	if _, ok := d["pipeline"]; ok {
		return nil, tusk.Errorf(tusk.KindInvalid, "pipeline defaults: field \"pipeline\" names a pipeline; defaults apply to every pipeline")
	}
	return Defaults(d), nil
}

// JSON is the defaults as pachctl's inspect defaults prints them.
func (d Defaults) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(map[string]any{"create_pipeline_request": map[string]any(d)})
	return b.Bytes(), err
}

// mergeSpec lays spec over defaults: objects merge field by field, and
// anything else in spec replaces the default; a null in spec removes it.
func mergeSpec(defaults map[string]any, spec any) any {
	m, ok := spec.(map[string]any)
	if !ok {
		return spec
	}
	out := maps.Clone(defaults)
	for k, v := range m {
		switch dv, _ := out[k].(map[string]any); {
		case v == nil:
			delete(out, k)
		case dv != nil:
			out[k] = mergeSpec(dv, v)
		default:
			out[k] = v
		}
	}
	return out
}
