package secret

import (
	"encoding/base64"
	"fmt"
	"maps"
	"regexp"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/tuskdata/tusk/internal/tusk"
)

// A Secret is a named set of values, as a Kubernetes Secret has them.
type Secret struct {
	Name string
	Type string // "Opaque" unless the manifest says
	Data map[string][]byte
}

// Keys returns the names of s's values, sorted.
func (s Secret) Keys() []string { return slices.Sorted(maps.Keys(s.Data)) }

// MaxSize bounds the bytes of a secret's values, as Kubernetes does.
const MaxSize = 1 << 20

// DefaultType is the type of a manifest that gives none.
const DefaultType = "Opaque"

// manifest is the part of a Kubernetes Secret that Tusk reads; other
// fields (metadata.namespace, labels, immutable) are accepted and
// ignored, as they mean nothing outside Kubernetes.
type manifest struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Type       string            `yaml:"type"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
}

var (
	// nameRE is a Kubernetes object name (an RFC 1123 subdomain).
	nameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	// keyRE is a Kubernetes Secret's key.
	keyRE = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
)

// ValidateName checks a secret's name as Kubernetes does.
func ValidateName(name string) error {
	if len(name) > 253 || !nameRE.MatchString(name) {
		return tusk.Errorf(tusk.KindInvalid, "secret name %q: want lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters", name)
	}
	return nil
}

// Parse reads a Kubernetes Secret manifest, JSON or YAML: apiVersion v1,
// kind Secret, metadata.name, and values in data (base64) and stringData
// (text, which wins over data for the same key, as in Kubernetes).
func Parse(doc []byte) (Secret, error) {
	var m manifest
	if err := yaml.Unmarshal(doc, &m); err != nil {
		return Secret{}, tusk.Errorf(tusk.KindInvalid, "read the secret manifest: %v", err)
	}
	if m.APIVersion != "v1" || m.Kind != "Secret" {
		return Secret{}, tusk.Errorf(tusk.KindInvalid, "the manifest is apiVersion %q, kind %q: want a Kubernetes Secret (apiVersion: v1, kind: Secret)", m.APIVersion, m.Kind)
	}
	if err := ValidateName(m.Metadata.Name); err != nil {
		return Secret{}, err
	}
	s := Secret{Name: m.Metadata.Name, Type: m.Type, Data: map[string][]byte{}}
	if s.Type == "" {
		s.Type = DefaultType
	}
	for k, v := range m.Data {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return Secret{}, tusk.Errorf(tusk.KindInvalid, "secret %s: data.%s is not base64 (put text in stringData)", s.Name, k)
		}
		s.Data[k] = b
	}
	for k, v := range m.StringData {
		s.Data[k] = []byte(v)
	}
	if len(s.Data) == 0 {
		return Secret{}, tusk.Errorf(tusk.KindInvalid, "secret %s has no values: give them in data (base64) or stringData", s.Name)
	}
	size := 0
	for k, v := range s.Data {
		if len(k) > 253 || !keyRE.MatchString(k) {
			return Secret{}, tusk.Errorf(tusk.KindInvalid, "secret %s: key %q: want letters, digits, '-', '_' and '.', at most 253 characters", s.Name, k)
		}
		size += len(v)
	}
	if size > MaxSize {
		return Secret{}, tusk.Errorf(tusk.KindInvalid, "secret %s holds %d bytes: at most %d are allowed", s.Name, size, MaxSize)
	}
	return s, nil
}

// String names s without its values, so that a secret printed by mistake
// shows none.
func (s Secret) String() string {
	return fmt.Sprintf("secret %s (%s, keys %v)", s.Name, s.Type, s.Keys())
}
