package tusk

import "time"

// SecretInfo describes a secret without its values: list secret shows its
// name, type and creation time; inspect secret adds its keys and the size
// of each value.
type SecretInfo struct {
	Name    string      `json:"name"`
	Type    string      `json:"type"`
	Created time.Time   `json:"created"`
	Keys    []SecretKey `json:"keys,omitempty"`
}

// SecretKey is one value of a secret: its key and its size in bytes.
type SecretKey struct {
	Key  string `json:"key"`
	Size int    `json:"size"`
}
