package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/secret"
	"github.com/tuskdata/tusk/internal/tusk"
)

// secretKeyFile is the name of the server key in a data directory.
const secretKeyFile = "secret.key"

// openSecrets loads the key that seals secrets' values: Config's
// SecretKeyFile, else DATA_DIR/secret.key, made on the first start. It
// refuses a key that cannot open the secrets the store holds (servers
// sharing a PostgreSQL store must share their key), and a server without
// a key over a store that holds secrets.
func (s *Server) openSecrets(ctx context.Context) error {
	var err error
	switch {
	case s.cfg.SecretKeyFile != "":
		s.secretKey, err = secret.ReadKeyFile(s.cfg.SecretKeyFile)
	case s.cfg.DataDir != "":
		s.secretKey, err = secret.EnsureKeyFile(filepath.Join(s.cfg.DataDir, secretKeyFile))
	}
	if err != nil {
		return err
	}
	all, err := s.db.Secrets(ctx)
	if err != nil {
		return err
	}
	if len(all) > 0 && s.secretKey == nil {
		return fmt.Errorf("the metadata store holds %d secrets and this server has no key to open them: give the key they were sealed with (--secret-key-file)", len(all))
	}
	bad := 0
	for _, sec := range all {
		if _, err := s.secretKey.Open(sec.Name, sec.Sealed); err != nil {
			bad++
		}
	}
	if bad > 0 {
		return fmt.Errorf("the secret key %s opens %d of the %d secrets in the metadata store: every server sharing the store needs the key they were sealed with (--secret-key-file)", s.secretKey.From(), len(all)-bad, len(all))
	}
	return nil
}

// key returns the server key, or an error saying how to give one.
func (s *Server) key() (*secret.Key, error) {
	if s.secretKey == nil {
		return nil, tusk.Errorf(tusk.KindUnavailable, "this server has no key to seal secrets with").
			WithHint("start tusk up with --secret-key-file, or with a data directory, where it keeps one")
	}
	return s.secretKey, nil
}

func (s *Server) createSecret(w http.ResponseWriter, r *http.Request) {
	key, err := s.key()
	if err != nil {
		writeError(w, r, err)
		return
	}
	doc, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, r, bodyError(r, "read the secret manifest", err))
		return
	}
	sec, err := secret.Parse(doc)
	if err != nil {
		writeError(w, r, err)
		return
	}
	noteArg(r, "name", sec.Name)
	sealed, err := key.Seal(sec.Name, sec.Data)
	if err != nil {
		writeError(w, r, err)
		return
	}
	stored := meta.SealedSecret{Name: sec.Name, Type: sec.Type, Created: time.Now(), Sealed: sealed}
	if err := s.db.CreateSecret(r.Context(), stored); err != nil {
		writeError(w, r, err)
		return
	}
	s.log.Info("secret created", "name", sec.Name, "by", caller(r).Subject)
	writeJSON(w, secretInfo(stored, sec.Data))
}

// secretInfo describes a secret, with the keys and sizes of data.
func secretInfo(s meta.SealedSecret, data map[string][]byte) tusk.SecretInfo {
	info := tusk.SecretInfo{Name: s.Name, Type: s.Type, Created: s.Created}
	for _, k := range (secret.Secret{Data: data}).Keys() {
		info.Keys = append(info.Keys, tusk.SecretKey{Key: k, Size: len(data[k])})
	}
	return info
}

func (s *Server) listSecrets(w http.ResponseWriter, r *http.Request) {
	all, err := s.db.Secrets(r.Context())
	infos := make([]tusk.SecretInfo, len(all))
	for i, sec := range all {
		infos[i] = secretInfo(sec, nil)
	}
	replyList(w, r, infos, err)
}

func (s *Server) inspectSecret(w http.ResponseWriter, r *http.Request) {
	key, err := s.key()
	if err != nil {
		writeError(w, r, err)
		return
	}
	sec, err := s.db.Secret(r.Context(), r.PathValue("name"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	data, err := key.Open(sec.Name, sec.Sealed)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, secretInfo(sec, data))
}

func (s *Server) deleteSecret(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := s.db.DeleteSecret(r.Context(), name); err != nil {
		writeError(w, r, err)
		return
	}
	s.log.Info("secret deleted", "name", name, "by", caller(r).Subject)
	writeJSON(w, struct{}{})
}
