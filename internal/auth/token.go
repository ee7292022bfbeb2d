package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// tokenPrefix marks Tusk's tokens, so that one pasted in the wrong place
// is recognised (by people and by secret scanners).
const tokenPrefix = "tusk_"

// newToken returns a fresh token: 32 random bytes.
func newToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is what the store keeps of a token. A token is 256 random
// bits, so a fast hash is enough: there is nothing to guess.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return hex.EncodeToString(sum[:])
}
