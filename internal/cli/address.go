package cli

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tlscert"
	"github.com/tuskdata/tusk/internal/tusk"
)

// config is the client configuration file: named server contexts, one of
// them active.
type config struct {
	ActiveContext string                   `json:"active_context,omitempty"`
	Contexts      map[string]contextConfig `json:"contexts,omitempty"`
}

// contextConfig is one named server, and the token to send it.
type contextConfig struct {
	Address string `json:"address"`
	// ServerCA holds, in PEM, the server's certificate or the CA's that
	// signed it, trusted in place of the system's CAs.
	ServerCA string `json:"server_ca,omitempty"`
	// ServerFingerprint pins the server's certificate ("SHA256:…").
	ServerFingerprint string `json:"server_fingerprint,omitempty"`
	// Token is sent to the server as a bearer token.
	Token string `json:"token,omitempty"`
	// ActiveTransaction is the transaction that create repo, start and
	// finish commit, and create and delete branch are recorded in
	// (transaction.go).
	ActiveTransaction string `json:"active_transaction,omitempty"`
	// Project is the project of the repos, pipelines and jobs that
	// commands name when not given --project (project.go).
	Project string `json:"project,omitempty"`
}

// configPath returns $TUSK_CONFIG, else ~/.config/tusk/config.json.
func configPath(getenv func(string) string) (string, error) {
	if p := getenv("TUSK_CONFIG"); p != "" {
		return p, nil
	}
	home := getenv("HOME")
	if home == "" {
		return "", errors.New("cannot find the tusk config file: neither TUSK_CONFIG nor HOME is set")
	}
	return filepath.Join(home, ".config", "tusk", "config.json"), nil
}

// loadConfig reads the config file; a missing file is an empty config.
func loadConfig(path string) (config, error) {
	var c config
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("read config: %w", err)
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("read config %s: %w", path, err)
	}
	return c, nil
}

// ContextToken returns the token that the CLI configuration file at path
// holds for the server at addr: what tusk up wrote there for its admin,
// for programs that start tusk up with $TUSK_CONFIG of their own (the
// bench).
func ContextToken(path, addr string) (string, error) {
	c, err := loadConfig(path)
	if err != nil {
		return "", err
	}
	name, ok := c.contextOf(addr)
	if !ok || c.Contexts[name].Token == "" {
		return "", fmt.Errorf("no token for %s in %s", addr, path)
	}
	return c.Contexts[name].Token, nil
}

// saveConfig writes the config file atomically: a temporary file renamed
// over the old one.
func saveConfig(path string, c config) error {
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.json")
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	_, werr := tmp.Write(append(data, '\n'))
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write config %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write config: %w", err)
	}
	return nil
}

// contextNames returns the config's context names, sorted.
func (c config) contextNames() []string {
	names := make([]string, 0, len(c.Contexts))
	for n := range c.Contexts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// resolveServer returns the server the environment points at:
// $TUSK_ADDRESS (trusting $TUSK_SERVER_CA, a PEM file, and
// $TUSK_SERVER_FINGERPRINT), else the config's active context, else
// client.DefaultAddress. The token is $TUSK_TOKEN, else that of the
// context: the active one, or for $TUSK_ADDRESS one of that address.
func resolveServer(getenv func(string) string) (contextConfig, error) {
	c, err := resolveContext(getenv)
	c.Token = cmp.Or(getenv("TUSK_TOKEN"), c.Token)
	return c, err
}

func resolveContext(getenv func(string) string) (contextConfig, error) {
	if a := getenv("TUSK_ADDRESS"); a != "" {
		c := contextConfig{Address: a, ServerFingerprint: getenv("TUSK_SERVER_FINGERPRINT")}
		if f := getenv("TUSK_SERVER_CA"); f != "" {
			pem, err := os.ReadFile(f)
			if err != nil {
				return c, fmt.Errorf("read $TUSK_SERVER_CA: %w", err)
			}
			c.ServerCA = string(pem)
		}
		if path, err := configPath(getenv); err == nil {
			if cfg, err := loadConfig(path); err == nil {
				if name, ok := cfg.contextOf(a); ok {
					c.Token = cfg.Contexts[name].Token
					c.Project = cfg.Contexts[name].Project
				}
			}
		}
		return c, nil
	}
	path, err := configPath(getenv)
	if err != nil {
		return contextConfig{Address: client.DefaultAddress}, nil
	}
	c, err := loadConfig(path)
	if err != nil {
		return contextConfig{}, err
	}
	if c.ActiveContext == "" {
		return contextConfig{Address: client.DefaultAddress}, nil
	}
	ctx, ok := c.Contexts[c.ActiveContext]
	if !ok || ctx.Address == "" {
		return contextConfig{}, tusk.Errorf(tusk.KindInvalid, "the active context %q in %s has no address", c.ActiveContext, path).
			WithHint("set one with: tusk config set context %s --address HOST:PORT", c.ActiveContext)
	}
	return ctx, nil
}

// clientOptions returns the options of a client of the context's server:
// the token to send, and whom to trust over https.
func (c contextConfig) clientOptions() ([]client.Option, error) {
	var opts []client.Option
	if c.Token != "" {
		opts = append(opts, client.WithToken(c.Token))
	}
	if c.ServerCA != "" {
		pool, err := tlscert.Pool([]byte(c.ServerCA))
		if err != nil {
			return nil, fmt.Errorf("the server CA of %s: %w", c.Address, err)
		}
		opts = append(opts, client.ServerCA(pool))
	}
	if c.ServerFingerprint != "" {
		f, err := tlscert.ParseFingerprint(c.ServerFingerprint)
		if err != nil {
			return nil, fmt.Errorf("the server fingerprint of %s: %w", c.Address, err)
		}
		opts = append(opts, client.ServerFingerprint(f))
	}
	return opts, nil
}

// contextOf returns the name of a context of addr ("host:port" and
// "http://host:port" being the same), the active one first.
func (c config) contextOf(addr string) (string, bool) {
	same := func(a string) bool { return strings.TrimPrefix(a, "http://") == strings.TrimPrefix(addr, "http://") }
	if ctx, ok := c.Contexts[c.ActiveContext]; ok && same(ctx.Address) {
		return c.ActiveContext, true
	}
	for _, n := range c.contextNames() {
		if same(c.Contexts[n].Address) {
			return n, true
		}
	}
	return "", false
}
