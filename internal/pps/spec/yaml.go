package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tuskdata/tusk/internal/tusk"
)

// yamlDocuments reads the documents of a YAML stream. Pachyderm reads
// specs with a YAML 1.2 parser, so yes, no, on and off stay strings.
func yamlDocuments(data []byte) ([]document, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []document
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, tusk.Errorf(tusk.KindInvalid, "invalid YAML: %v; check the indentation and quoting", err)
		}
		if len(n.Content) == 0 {
			continue
		}
		line := n.Content[0].Line
		var raw any
		if err := n.Decode(&raw); err != nil {
			var te *yaml.TypeError
			if errors.As(err, &te) {
				err = errors.New(strings.Join(te.Errors, "; "))
			}
			return nil, tusk.Errorf(tusk.KindInvalid, "invalid YAML: %v; check the indentation and quoting", err)
		}
		v, err := jsonValue(raw, "")
		if err != nil {
			return nil, tusk.Errorf(tusk.KindInvalid, "YAML document at line %d: %v", line, err)
		}
		if v != nil {
			docs = appendDocuments(docs, v, line)
		}
	}
}

// jsonValue converts a value decoded from YAML into the form
// encoding/json decodes into with UseNumber.
func jsonValue(v any, path string) (any, error) {
	switch v := v.(type) {
	case nil, string, bool:
		return v, nil
	case int:
		return json.Number(strconv.Itoa(v)), nil
	case int64:
		return json.Number(strconv.FormatInt(v, 10)), nil
	case uint64:
		return json.Number(strconv.FormatUint(v, 10)), nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errorAt(path, "is %v; use a finite number", v)
		}
		return json.Number(strconv.FormatFloat(v, 'g', -1, 64)), nil
	case time.Time:
		return v.Format(time.RFC3339Nano), nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			c, err := jsonValue(e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			c, err := jsonValue(e, join(path, k))
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case map[any]any:
		for k := range v {
			if _, ok := k.(string); !ok {
				return nil, errorAt(path, "has the key %v, which is not a string; put it in quotes", k)
			}
		}
	}
	return nil, errorAt(path, "holds a %T, which a pipeline spec cannot hold", v)
}
