// Package tlscert makes, keeps and identifies the certificates a Tusk
// server presents over TLS.
//
// A server given no certificate makes a self-signed one (ECDSA P-256) at
// its first start and keeps it in its data directory (SelfSigned), so its
// fingerprint, which clients pin, stays the same across restarts. A
// fingerprint is the SHA-256 of the certificate's DER bytes, written as
// SSH writes key fingerprints ("SHA256:" and unpadded base64); ParseFingerprint
// also takes the colon-separated hex that openssl prints.
package tlscert
