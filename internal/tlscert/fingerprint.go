package tlscert

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/tuskdata/tusk/internal/tusk"
)

// A Fingerprint is the SHA-256 digest of a certificate's DER bytes.
type Fingerprint [sha256.Size]byte

// FingerprintOf returns the fingerprint of the certificate der.
func FingerprintOf(der []byte) Fingerprint { return sha256.Sum256(der) }

// String returns "SHA256:" and the digest in unpadded base64, as ssh
// prints fingerprints.
func (f Fingerprint) String() string {
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(f[:])
}

// Equal reports whether f and g are the same fingerprint.
func (f Fingerprint) Equal(g Fingerprint) bool { return bytes.Equal(f[:], g[:]) }

// ParseFingerprint reads a fingerprint as String writes it, or as 64 hex
// digits, colons between pairs allowed ("openssl x509 -fingerprint
// -sha256" prints "sha256 Fingerprint=AB:CD:…"; the prefix may stay).
func ParseFingerprint(s string) (Fingerprint, error) {
	var f Fingerprint
	v := strings.TrimSpace(s)
	for _, prefix := range []string{"sha256 fingerprint=", "sha256:"} {
		if strings.HasPrefix(strings.ToLower(v), prefix) {
			v = v[len(prefix):]
			break
		}
	}
	if b, err := hex.DecodeString(strings.ReplaceAll(v, ":", "")); err == nil && len(b) == len(f) {
		copy(f[:], b)
		return f, nil
	}
	if b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(v, "=")); err == nil && len(b) == len(f) {
		copy(f[:], b)
		return f, nil
	}
	return f, tusk.Errorf(tusk.KindInvalid, "%q is not a SHA-256 certificate fingerprint", s).
		WithHint("give it as `tusk up` prints it (SHA256:…, 43 base64 characters) or as openssl prints it (32 hex pairs)")
}
