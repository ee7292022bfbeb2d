package docker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker/docker-credential-helpers/client"
	"github.com/docker/docker-credential-helpers/credentials"
)

// Registry credentials come from the user's docker config, as for the
// docker CLI: the file config.json in $DOCKER_CONFIG, else in ~/.docker.
// A registry's credentials are those of its credential helper
// (credHelpers, else credsStore: the program docker-credential-NAME),
// else its auths entry (a base64 "user:password" auth, or username and
// password, or an identity token).

// hubServer is the key of Docker Hub's credentials in a docker config.
const hubServer = "https://index.docker.io/v1/"

// dockerConfig is the part of config.json that holds credentials.
type dockerConfig struct {
	Auths       map[string]authEntry `json:"auths"`
	CredsStore  string               `json:"credsStore"`
	CredHelpers map[string]string    `json:"credHelpers"`
}

type authEntry struct {
	Auth          string `json:"auth"`
	Username      string `json:"username"`
	Password      string `json:"password"`
	IdentityToken string `json:"identitytoken"`
}

// registryAuth is the engine's X-Registry-Auth: credentials for one
// registry, as base64url JSON.
type registryAuth struct {
	Username      string `json:"username,omitempty"`
	Password      string `json:"password,omitempty"`
	IdentityToken string `json:"identitytoken,omitempty"`
	ServerAddress string `json:"serveraddress"`
}

func (a registryAuth) header() (string, error) {
	b, err := json.Marshal(a)
	if err != nil {
		return "", err
	}
	return base64.URLEncoding.EncodeToString(b), nil
}

// configDir returns the directory of the docker config: dir if given,
// else $DOCKER_CONFIG, else ~/.docker.
func configDir(dir string) string {
	if dir != "" {
		return dir
	}
	if dir := os.Getenv("DOCKER_CONFIG"); dir != "" {
		return dir
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".docker")
}

// pullAuth returns the X-Registry-Auth header for a pull from the
// registry at domain ("docker.io", "host:port"), or "" when the docker
// config in dir has no credentials for it (or there is no config).
func pullAuth(dir, domain string) (string, error) {
	path := filepath.Join(configDir(dir), "config.json")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the docker config: %w", err)
	}
	var cfg dockerConfig
	if err := json.Unmarshal(b, &cfg); err != nil {
		return "", fmt.Errorf("docker config %s: %w", path, err)
	}
	server := authServer(domain)
	helper := cfg.CredHelpers[domain]
	if helper == "" && domain == "docker.io" {
		helper = cfg.CredHelpers[hubServer]
	}
	if helper == "" {
		helper = cfg.CredsStore
	}
	var auth *registryAuth
	if helper != "" {
		auth, err = helperAuth(helper, server)
		if err != nil {
			return "", fmt.Errorf("docker config %s: %w", path, err)
		}
	} else {
		auth, err = entryAuth(cfg.Auths, domain, server)
		if err != nil {
			return "", fmt.Errorf("docker config %s: %w", path, err)
		}
	}
	if auth == nil {
		return "", nil
	}
	return auth.header()
}

// authServer is the server a registry's credentials name: Docker Hub's
// URL for docker.io, else the domain.
func authServer(domain string) string {
	if domain == "docker.io" {
		return hubServer
	}
	return domain
}

// dockerConfigJSONKey is the key of a pull secret's docker config, as in
// a Kubernetes Secret of type kubernetes.io/dockerconfigjson.
const dockerConfigJSONKey = ".dockerconfigjson"

// secretAuth returns the X-Registry-Auth header for a pull from domain
// with the first of the pipeline's image_pull_secrets (Tusk secrets
// holding a docker config, as kubectl create secret docker-registry
// makes them) that has credentials for it; "" if none has.
func (r *Runner) secretAuth(ctx context.Context, names []string, domain string) (string, error) {
	for _, name := range names {
		if r.opts.Secrets == nil {
			return "", fmt.Errorf("image_pull_secrets %s: this server keeps no secrets for the docker runner", name)
		}
		data, err := r.opts.Secrets.Secret(ctx, name)
		if err != nil {
			return "", fmt.Errorf("image_pull_secrets %s: %w", name, err)
		}
		raw, ok := data[dockerConfigJSONKey]
		if !ok {
			return "", fmt.Errorf("image_pull_secrets %s: the secret has no key %s; make it with "+
				"kubectl create secret docker-registry %s --docker-server=%s --docker-username=… --docker-password=… --dry-run=client -o json | tusk create secret -f -",
				name, dockerConfigJSONKey, name, domain)
		}
		var cfg dockerConfig
		if err := json.Unmarshal(raw, &cfg); err != nil {
			return "", fmt.Errorf("image_pull_secrets %s: its %s is not a docker config: %w", name, dockerConfigJSONKey, err)
		}
		auth, err := entryAuth(cfg.Auths, domain, authServer(domain))
		if err != nil {
			return "", fmt.Errorf("image_pull_secrets %s: %w", name, err)
		}
		if auth != nil {
			return auth.header()
		}
	}
	return "", nil
}

// helperAuth asks the credential helper docker-credential-NAME for the
// credentials of server; nil if it has none.
func helperAuth(name, server string) (*registryAuth, error) {
	program := "docker-credential-" + name
	c, err := client.Get(client.NewShellProgramFunc(program), server)
	if credentials.IsErrCredentialsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("credential helper %q (the program %s) failed for %s: %w; install it on the server's host, or keep the registry's credentials in the config's auths (docker login without a credsStore)", name, program, server, err)
	}
	a := &registryAuth{Username: c.Username, Password: c.Secret, ServerAddress: server}
	if c.Username == "<token>" {
		a = &registryAuth{IdentityToken: c.Secret, ServerAddress: server}
	}
	return a, nil
}

// entryAuth returns the credentials of the auths entry for domain, whose
// key may be a bare host ("host:port") or a URL ("https://host/v1/");
// nil if there is none.
func entryAuth(auths map[string]authEntry, domain, server string) (*registryAuth, error) {
	for key, e := range auths {
		if key != server && authHost(key) != domain && (domain != "docker.io" || authHost(key) != "index.docker.io") {
			continue
		}
		a := &registryAuth{Username: e.Username, Password: e.Password, IdentityToken: e.IdentityToken, ServerAddress: server}
		if e.Auth != "" {
			b, err := base64.StdEncoding.DecodeString(e.Auth)
			if err != nil {
				return nil, fmt.Errorf("the auth of %s is not base64: %w", key, err)
			}
			user, password, ok := strings.Cut(string(b), ":")
			if !ok {
				return nil, fmt.Errorf("the auth of %s is not base64 of user:password", key)
			}
			a.Username, a.Password = user, password
		}
		if a.Username == "" && a.IdentityToken == "" {
			return nil, nil
		}
		return a, nil
	}
	return nil, nil
}

// authHost returns the host of an auths key: without a scheme and a path.
func authHost(key string) string {
	_, rest, ok := strings.Cut(key, "://")
	if !ok {
		rest = key
	}
	host, _, _ := strings.Cut(rest, "/")
	return host
}
