package spec

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A fieldError is a problem with one field of a spec; path is where the
// field is, such as "input.cross[1].pfs.glob", and msg says what is wrong
// with it, as in "is missing; add one".
type fieldError struct {
	path string
	msg  string
}

func (e *fieldError) Error() string {
	if e.path == "" {
		return e.msg
	}
	return fmt.Sprintf("field %q %s", e.path, e.msg)
}

func errorAt(path, format string, args ...any) error {
	return &fieldError{path: path, msg: fmt.Sprintf(format, args...)}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

var (
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
	timeType        = reflect.TypeFor[time.Time]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// canonical checks v, a value decoded from JSON with UseNumber, against the
// Go type t and returns it with every object key rewritten to the
// snake_case name of its field. Keys may also be written in lowerCamelCase,
// as protobuf's JSON mapping allows; numbers may be quoted, as protobuf
// writes 64-bit integers. Keys of maps (such as transform.env) are user
// data and are left alone.
func canonical(v any, t reflect.Type, path string) (any, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil || t == rawMessageType {
		return v, nil
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return v, checkLeaf(v, t, path)
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, errorAt(path, "must be an object, got %s", describe(v))
		}
		return canonicalObject(obj, t, path)
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, errorAt(path, "must be an object, got %s", describe(v))
		}
		out := make(map[string]any, len(obj))
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			c, err := canonical(obj[k], t.Elem(), join(path, k))
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			return nil, errorAt(path, "must be a list, got %s; write it as [%s]", describe(v), describe(v))
		}
		out := make([]any, len(list))
		for i, e := range list {
			c, err := canonical(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case reflect.String:
		if _, ok := v.(string); !ok {
			return nil, errorAt(path, "must be a string, got %s; put it in quotes", describe(v))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return nil, errorAt(path, "must be true or false, got %s", describe(v))
		}
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint64:
		return canonicalInteger(v, t, path)
	}
	return v, nil
}

// canonicalObject rewrites the keys of obj to the field names of struct t.
// Keys are checked in sorted order, so that errors are reproducible.
func canonicalObject(obj map[string]any, t reflect.Type, path string) (map[string]any, error) {
	fields := fieldsOf(t)
	out := make(map[string]any, len(obj))
	given := make(map[string]string, len(obj))
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		v := obj[k]
		f, ok := fields.byKey[k]
		if !ok {
			return nil, errorAt("", "%s", unknownField(k, join(path, k), fields.names))
		}
		if prev, dup := given[f.name]; dup {
			return nil, errorAt("", "field %q is given twice, as %q and as %q; keep one", join(path, f.name), prev, k)
		}
		given[f.name] = k
		c, err := canonical(v, f.typ, join(path, f.name))
		if err != nil {
			return nil, err
		}
		out[f.name] = c
	}
	return out, nil
}

// canonicalInteger accepts a JSON integer, quoted or not.
func canonicalInteger(v any, t reflect.Type, path string) (any, error) {
	s := ""
	switch v := v.(type) {
	case json.Number:
		s = string(v)
	case string:
		s = strings.TrimSpace(v)
	}
	var err error
	if t.Kind() == reflect.Uint64 {
		_, err = strconv.ParseUint(s, 10, 64)
	} else {
		_, err = strconv.ParseInt(s, 10, t.Bits())
	}
	if err != nil {
		if t.Kind() == reflect.Uint64 {
			return nil, errorAt(path, "must be a whole number of 0 or more, got %s", describe(v))
		}
		return nil, errorAt(path, "must be a whole number, got %s", describe(v))
	}
	return json.Number(s), nil
}

// checkLeaf decodes v into a value of t to check it, so that the error can
// name the field.
func checkLeaf(v any, t reflect.Type, path string) error {
	data, err := json.Marshal(v)
	if err != nil {
		return errorAt("", "field %q: %v", path, err)
	}
	if err := json.Unmarshal(data, reflect.New(t).Interface()); err != nil {
		if t == timeType {
			return errorAt("", "field %q: %s is not a timestamp; write it in RFC 3339 form, such as \"2024-01-31T15:04:05Z\"", path, data)
		}
		return errorAt("", "field %q: %v", path, err)
	}
	return nil
}

// describe renders a decoded JSON value for an error message.
func describe(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if s := string(data); len(s) <= 40 {
		return s
	}
	return string(data[:37]) + "..."
}

type field struct {
	name string
	typ  reflect.Type
}

type fieldSet struct {
	byKey map[string]field // by snake_case and lowerCamelCase name
	names []string         // snake_case names, in declaration order
}

var fieldCache sync.Map // reflect.Type -> *fieldSet

// fieldsOf lists the JSON fields of struct type t.
func fieldsOf(t reflect.Type) *fieldSet {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.(*fieldSet)
	}
	fs := &fieldSet{byKey: map[string]field{}}
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		f := field{name: name, typ: sf.Type}
		fs.byKey[name] = f
		fs.byKey[camel(name)] = f
		fs.names = append(fs.names, name)
	}
	fieldCache.Store(t, fs)
	return fs
}

// camel converts a snake_case name to lowerCamelCase, as protobuf does for
// JSON names: "output_branch" becomes "outputBranch".
func camel(name string) string {
	parts := strings.Split(name, "_")
	for i := 1; i < len(parts); i++ {
		if p := parts[i]; p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}
