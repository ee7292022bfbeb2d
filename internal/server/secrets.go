package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pps/spec"
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
	if err := s.secretInUse(r.Context(), name); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.db.DeleteSecret(r.Context(), name); err != nil {
		writeError(w, r, err)
		return
	}
	s.log.Info("secret deleted", "name", name, "by", caller(r).Subject)
	writeJSON(w, struct{}{})
}

// checkSecretRefs checks the secrets a pipeline's spec names: only a
// cluster admin may name them (its code reads their values), and each
// must exist with the key it names.
func (s *Server) checkSecretRefs(r *http.Request, p *spec.Pipeline) error {
	if p.Transform == nil || len(p.Transform.Secrets) == 0 {
		return nil
	}
	if !caller(r).Admin {
		return tusk.Errorf(tusk.KindForbidden, "pipeline %s names secrets in transform.secrets, and its code reads their values: only a cluster admin may create it", p.Name()).
			WithHint("ask a cluster admin to create the pipeline, or remove transform.secrets")
	}
	_, _, err := s.secretValues(r.Context(), p.Transform.Secrets)
	return err
}

// secretValues opens the secrets refs name and returns each ref's
// variable as NAME=value, and the values: those of the variables, and
// all of a secret whose keys are files (mount_path).
func (s *Server) secretValues(ctx context.Context, refs []spec.SecretRef) (env []string, values [][]byte, err error) {
	opened := map[string]map[string][]byte{}
	for _, ref := range refs {
		data, ok := opened[ref.Name]
		if !ok {
			key, err := s.key()
			if err != nil {
				return nil, nil, err
			}
			sec, err := s.db.Secret(ctx, ref.Name)
			if err != nil {
				return nil, nil, err
			}
			if data, err = key.Open(sec.Name, sec.Sealed); err != nil {
				return nil, nil, err
			}
			opened[ref.Name] = data
		}
		if ref.MountPath != "" {
			// Every key is a file the code may print.
			for _, k := range (secret.Secret{Data: data}).Keys() {
				values = append(values, data[k])
			}
		}
		if ref.EnvVar == "" {
			continue
		}
		v, ok := data[ref.Key]
		if !ok {
			return nil, nil, tusk.Errorf(tusk.KindInvalid, "secret %s has no key %q (its keys: %v)", ref.Name, ref.Key, (secret.Secret{Data: data}).Keys()).
				WithHint("see its keys with: tusk inspect secret %s", ref.Name)
		}
		env = append(env, ref.EnvVar+"="+string(v))
		values = append(values, v)
	}
	return env, values, nil
}

// pipelineSecrets returns the secrets the current spec of a pipeline
// names; none for a pipeline that is gone.
func (s *Server) pipelineSecrets(ctx context.Context, pipeline string) ([]spec.SecretRef, error) {
	info, err := s.pps.InspectPipeline(ctx, pipeline)
	if errors.Is(err, tusk.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return specSecrets(info)
}

// specSecrets returns the secrets the spec of p names.
func specSecrets(p tusk.PipelineInfo) ([]spec.SecretRef, error) {
	var sp struct {
		Transform struct {
			Secrets []spec.SecretRef `json:"secrets"`
		} `json:"transform"`
	}
	if err := json.Unmarshal(p.Spec, &sp); err != nil {
		return nil, fmt.Errorf("read the spec of pipeline %s: %w", p.Name, err)
	}
	return sp.Transform.Secrets, nil
}

// addSecretEnv gives tasks, which go to a worker of their pipeline, the
// variables of the secrets the pipeline names. The values travel only
// in this answer to the pipeline's own workers: no record holds them.
func (s *Server) addSecretEnv(ctx context.Context, ts []tusk.Task) error {
	envs := map[string][]string{}
	for i, t := range ts {
		env, ok := envs[t.Pipeline]
		if !ok {
			refs, err := s.pipelineSecrets(ctx, t.Pipeline)
			if err != nil {
				return err
			}
			if env, _, err = s.secretValues(ctx, refs); err != nil {
				return fmt.Errorf("the secrets of pipeline %s: %w", t.Pipeline, err)
			}
			envs[t.Pipeline] = env
		}
		ts[i].Env = append(ts[i].Env, env...)
	}
	return nil
}

// minRedacted is the shortest value redactLogs hides: shorter ones
// would blank common words and digits of every line.
const minRedacted = 4

// redactLogs replaces, in lines from workers, the values of the secrets
// their pipelines name with [redacted].
func (s *Server) redactLogs(ctx context.Context, lines []tusk.LogLine) error {
	replacers := map[string]*strings.Replacer{}
	for i, l := range lines {
		rep, ok := replacers[l.Pipeline]
		if !ok {
			refs, err := s.pipelineSecrets(ctx, l.Pipeline)
			if err != nil {
				return err
			}
			_, values, err := s.secretValues(ctx, refs)
			if err != nil {
				return fmt.Errorf("the secrets of pipeline %s: %w", l.Pipeline, err)
			}
			// Longest first, so that a value that holds another is
			// hidden whole.
			slices.SortFunc(values, func(a, b []byte) int { return len(b) - len(a) })
			var pairs []string
			for _, v := range values {
				if len(v) >= minRedacted {
					pairs = append(pairs, string(v), "[redacted]")
				}
			}
			if len(pairs) > 0 {
				rep = strings.NewReplacer(pairs...)
			}
			replacers[l.Pipeline] = rep
		}
		if rep != nil {
			lines[i].Message = rep.Replace(l.Message)
		}
	}
	return nil
}

// secretInUse refuses to delete a secret that a pipeline names: its
// workers could no longer start datums.
func (s *Server) secretInUse(ctx context.Context, name string) error {
	ps, err := s.pps.ListPipelines(ctx)
	if err != nil {
		return err
	}
	for _, p := range ps {
		refs, err := specSecrets(p)
		if err != nil {
			return err
		}
		for _, ref := range refs {
			if ref.Name == name {
				return tusk.Errorf(tusk.KindConflict, "pipeline %s names secret %s in transform.secrets", p.Name, name).
					WithHint("update the pipeline without it, or delete the pipeline, first")
			}
		}
	}
	return nil
}

// secretSource opens the secrets Tusk keeps for the runners: the kube
// runner puts those whose keys pipelines want as files (mount_path) in
// Kubernetes Secrets of their workers; the docker runner pulls images
// with those that image_pull_secrets name.
type secretSource struct{ s *Server }

func (src secretSource) Secret(ctx context.Context, name string) (map[string][]byte, error) {
	key, err := src.s.key()
	if err != nil {
		return nil, err
	}
	sec, err := src.s.db.Secret(ctx, name)
	if err != nil {
		return nil, err
	}
	return key.Open(sec.Name, sec.Sealed)
}
