package oidc

import (
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// What the store keeps of a login is of no use to someone who reads it:
// the state and the CLI's key only as their SHA-256, and the rest sealed
// with HPKE (X25519, HKDF-SHA256, AES-256-GCM) to a key pair derived from
// one of those two secrets. The server that answers the provider's
// redirect has the state, so it can open what Begin sealed to the state;
// it seals the outcome to the key's public half, and only the waiting CLI,
// which holds the key, can open it.

var (
	sealKEM  = hpke.DHKEM(ecdh.X25519())
	sealKDF  = hpke.HKDFSHA256()
	sealAEAD = hpke.AES256GCM()
)

// What each sealed message is, bound into its encryption so that one
// cannot pass for the other.
const (
	forCallback = "tusk oidc: for the callback"
	forWaiter   = "tusk oidc: for the waiting CLI"
)

// hashOf is how the store knows a secret: by its SHA-256.
func hashOf(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func keyPair(secret string) (hpke.PrivateKey, error) {
	k, err := sealKEM.DeriveKeyPair([]byte(secret))
	if err != nil {
		return nil, fmt.Errorf("derive a sealing key: %w", err)
	}
	return k, nil
}

// publicKey returns the public key that messages for the holder of
// secret are sealed to.
func publicKey(secret string) ([]byte, error) {
	k, err := keyPair(secret)
	if err != nil {
		return nil, err
	}
	return k.PublicKey().Bytes(), nil
}

// sealJSON seals v, as JSON, to the public key pub, for purpose.
func sealJSON(pub []byte, purpose string, v any) ([]byte, error) {
	plaintext, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	pk, err := sealKEM.NewPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	ct, err := hpke.Seal(pk, sealKDF, sealAEAD, []byte(purpose), plaintext)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return ct, nil
}

// openJSON opens into v what sealJSON sealed for purpose to the public
// key of secret.
func openJSON(secret, purpose string, ciphertext []byte, v any) error {
	k, err := keyPair(secret)
	if err != nil {
		return err
	}
	plaintext, err := hpke.Open(k, sealKDF, sealAEAD, []byte(purpose), ciphertext)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	if err := json.Unmarshal(plaintext, v); err != nil {
		return fmt.Errorf("open: %w", err)
	}
	return nil
}
