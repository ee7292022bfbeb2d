package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"

	"github.com/tuskdata/tusk/internal/tusk"
)

// A document is one pipeline spec as decoded from its file, before it is
// checked against the Pipeline type.
type document struct {
	value any // JSON-like: map[string]any, []any, string, json.Number, bool, nil
	index int // 1-based position in the file
	line  int // line of the file where it starts
}

// where names the spec in error messages.
func (d *document) where() string {
	if p, ok := d.value.(map[string]any); ok {
		if ref, ok := p["pipeline"].(map[string]any); ok {
			if name, ok := ref["name"].(string); ok && name != "" {
				return fmt.Sprintf("pipeline %q", name)
			}
		}
	}
	return fmt.Sprintf("pipeline spec %d (line %d)", d.index, d.line)
}

// Parse reads the pipeline specs in data, which holds JSON (one object, a
// stream of objects or an array of them) or YAML (one or more documents
// separated by "---", each an object or a list of them). Field names may be
// snake_case or lowerCamelCase. Each spec gets its defaults and is checked
// by Validate. Errors are of kind tusk.KindInvalid and name the pipeline and
// the field at fault.
func Parse(data []byte) ([]Pipeline, error) {
	return ParseWithDefaults(data, nil)
}

// ParseWithDefaults is Parse with each spec laid over defaults (see
// ParseDefaults): the spec's fields win, objects merge field by field,
// and a field the spec sets to null drops the default's.
func ParseWithDefaults(data []byte, defaults Defaults) ([]Pipeline, error) {
	docs, err := documents(data)
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, tusk.Errorf(tusk.KindInvalid,
			`no pipeline spec found; write an object with at least "pipeline" and "transform" fields`)
	}
	pipelines := make([]Pipeline, 0, len(docs))
	seen := make(map[string]int, len(docs))
	for _, doc := range docs {
		p, err := decode(doc, defaults)
		if err != nil {
			return nil, err
		}
		if err := validate(&p); err != nil {
			return nil, tusk.Errorf(tusk.KindInvalid, "%s: %v", doc.where(), err)
		}
		key := p.Name()
		if p.Pipeline.Project != nil {
			key = p.Pipeline.Project.Name + "/" + key
		}
		if first, dup := seen[key]; dup {
			return nil, tusk.Errorf(tusk.KindInvalid,
				"pipeline %q is defined twice, by specs %d and %d of the file; rename or delete one",
				key, first, doc.index)
		}
		seen[key] = doc.index
		pipelines = append(pipelines, p)
	}
	return pipelines, nil
}

// decode checks one document against the Pipeline type and decodes it.
func decode(doc document, defaults Defaults) (Pipeline, error) {
	var p Pipeline
	if _, ok := doc.value.(map[string]any); !ok {
		return p, tusk.Errorf(tusk.KindInvalid,
			`%s: want an object with "pipeline" and "transform" fields, got %s`, doc.where(), describe(doc.value))
	}
	c, err := canonical(doc.value, reflect.TypeFor[Pipeline](), "")
	if err != nil {
		return p, tusk.Errorf(tusk.KindInvalid, "%s: %v", doc.where(), err)
	}
	if defaults != nil {
		c = mergeSpec(map[string]any(defaults), c)
	}
	data, err := json.Marshal(c)
	if err != nil {
		return p, tusk.Errorf(tusk.KindInvalid, "%s: %v", doc.where(), err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, tusk.Errorf(tusk.KindInvalid, "%s: %v", doc.where(), err)
	}
	return p, nil
}

// documents splits data into specs. Text that starts with "{" or "[" is
// read as JSON, and as YAML (whose flow style looks alike) only if it is
// not valid JSON; anything else is YAML.
func documents(data []byte) ([]document, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n\uFEFF")
	if len(trimmed) == 0 {
		return nil, nil
	}
	if trimmed[0] != '{' && trimmed[0] != '[' {
		return yamlDocuments(data)
	}
	docs, err := jsonDocuments(data)
	if err != nil {
		if ydocs, yerr := yamlDocuments(data); yerr == nil {
			return ydocs, nil
		}
	}
	return docs, err
}

// jsonDocuments reads a stream of JSON values.
func jsonDocuments(data []byte) ([]document, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var docs []document
	for {
		line := lineAt(data, dec.InputOffset())
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			var syntax *json.SyntaxError
			if errors.As(err, &syntax) {
				line = lineAt(data, syntax.Offset)
			}
			return nil, tusk.Errorf(tusk.KindInvalid,
				"invalid JSON at line %d: %v; check for a missing comma, quote or brace", line, err)
		}
		docs = appendDocuments(docs, v, line)
	}
}

// appendDocuments adds v to docs, or each element of v if it is a list.
func appendDocuments(docs []document, v any, line int) []document {
	if list, ok := v.([]any); ok {
		for _, e := range list {
			docs = append(docs, document{value: e, index: len(docs) + 1, line: line})
		}
		return docs
	}
	return append(docs, document{value: v, index: len(docs) + 1, line: line})
}

// lineAt returns the line of the first non-space byte at or after offset.
func lineAt(data []byte, offset int64) int {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	for offset < int64(len(data)) && bytes.IndexByte([]byte(" \t\r\n"), data[offset]) >= 0 {
		offset++
	}
	return 1 + bytes.Count(data[:offset], []byte("\n"))
}
