package server

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/meta"
)

// TestSecretKeyAtStart checks that a server opens the stored secrets when
// it starts: without a key, or with another one, it refuses to start;
// with the key they were sealed with it starts.
func TestSecretKeyAtStart(t *testing.T) {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	s, err := New(ctx, Config{DataDir: dir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.secretKey.Seal("db", map[string][]byte{"password": []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.CreateSecret(ctx, meta.SealedSecret{Name: "db", Type: "Opaque", Sealed: sealed}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	shared := Config{Storage: filepath.Join(dir, "objects"), Metadata: filepath.Join(dir, "meta.db"), Logger: quiet}

	if s, err := New(ctx, shared); err == nil || !strings.Contains(err.Error(), "no key to open them") {
		if err == nil {
			s.Close()
		}
		t.Errorf("a server without a key over a store of secrets: %v, want a refusal", err)
	}
	other := shared
	other.DataDir = t.TempDir() // makes a key of its own
	if s, err := New(ctx, other); err == nil || !strings.Contains(err.Error(), "opens 0 of the 1 secrets") {
		if err == nil {
			s.Close()
		}
		t.Errorf("a server with another key: %v, want a refusal", err)
	}
	same := shared
	same.SecretKeyFile = filepath.Join(dir, secretKeyFile)
	s, err = New(ctx, same)
	if err != nil {
		t.Fatalf("a server with the key the secrets were sealed with: %v", err)
	}
	s.Close()
}
