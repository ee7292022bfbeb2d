// Package secret holds what Tusk knows of secrets: the Kubernetes Secret
// manifests that tusk create secret takes (Parse), and the server key
// that seals their values before the metadata store keeps them (Key).
//
// Values are sealed with AES-256-GCM under a 32-byte server key, with a
// random nonce per seal and the secret's name as associated data, so that
// sealed bytes copied to another secret's row do not open. The store
// keeps names, types and creation times in the clear, and nothing else.
package secret
