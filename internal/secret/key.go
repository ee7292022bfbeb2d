package secret

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// KeySize is the size of a server key: AES-256.
const KeySize = 32

// A Key seals and opens secrets' values.
type Key struct {
	aead cipher.AEAD
	from string // where the key came from, for errors
}

// NewKey returns the key of raw, KeySize bytes; from says where it came
// from (a file's name), for error messages.
func NewKey(raw []byte, from string) (*Key, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("secret key %s: want %d bytes, got %d", from, KeySize, len(raw))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("secret key %s: %w", from, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret key %s: %w", from, err)
	}
	return &Key{aead: aead, from: from}, nil
}

// From says where the key came from.
func (k *Key) From() string { return k.from }

// ReadKeyFile reads a key from a file holding it as base64 text (as
// `openssl rand -base64 32` prints it) or as its 32 raw bytes.
func ReadKeyFile(path string) (*Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the secret key: %w", err)
	}
	raw := b
	if len(b) != KeySize {
		if raw, err = base64.StdEncoding.DecodeString(string(bytes.TrimSpace(b))); err != nil {
			return nil, fmt.Errorf("secret key %s: want %d bytes, raw or in base64 (openssl rand -base64 32)", path, KeySize)
		}
	}
	return NewKey(raw, path)
}

// EnsureKeyFile reads the key of path, or makes a random one there
// (mode 0600) if there is no such file.
func EnsureKeyFile(path string) (*Key, error) {
	k, err := ReadKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	raw := make([]byte, KeySize)
	rand.Read(raw)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create the secret key: %w", err)
	}
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(raw) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("write the secret key: %w", err)
	}
	return NewKey(raw, path)
}

// aad binds sealed bytes to the secret's name.
func aad(name string) []byte { return []byte("tusk secret\x00" + name) }

// Seal returns the values of a secret sealed: a random nonce followed by
// the ciphertext of the values as JSON, with the name as associated data.
func (k *Key) Seal(name string, data map[string][]byte) ([]byte, error) {
	plain, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("seal secret %s: %w", name, err)
	}
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plain)+k.aead.Overhead())
	rand.Read(nonce)
	return k.aead.Seal(nonce, nonce, plain, aad(name)), nil
}

// Open returns the values that Seal sealed for the secret name; it fails
// if they were sealed with another key or for another name.
func (k *Key) Open(name string, sealed []byte) (map[string][]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n {
		return nil, fmt.Errorf("open secret %s: sealed bytes too short", name)
	}
	plain, err := k.aead.Open(nil, sealed[:n], sealed[n:], aad(name))
	if err != nil {
		return nil, fmt.Errorf("open secret %s with the secret key %s: %w", name, k.from, err)
	}
	var data map[string][]byte
	if err := json.Unmarshal(plain, &data); err != nil {
		return nil, fmt.Errorf("open secret %s: %w", name, err)
	}
	return data, nil
}
