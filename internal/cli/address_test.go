package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tuskdata/tusk/internal/client"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestResolveServer(t *testing.T) {
	dir := t.TempDir()
	withContext := filepath.Join(dir, "with.json")
	noActive := filepath.Join(dir, "noactive.json")
	broken := filepath.Join(dir, "broken.json")
	for path, c := range map[string]config{
		withContext: {ActiveContext: "lab", Contexts: map[string]contextConfig{"lab": {Address: "10.0.0.5:1650", Token: "tlab"}, "other": {Address: "x:1", Token: "tx"}}},
		noActive:    {Contexts: map[string]contextConfig{"lab": {Address: "10.0.0.5:1650"}}},
		broken:      {ActiveContext: "gone", Contexts: map[string]contextConfig{"lab": {Address: "10.0.0.5:1650"}}},
	} {
		if err := saveConfig(path, c); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name        string
		env         map[string]string
		want, token string
	}{
		{"environment wins over the context", map[string]string{"TUSK_ADDRESS": "http://h:9", "TUSK_CONFIG": withContext}, "http://h:9", ""},
		{"the token of a context of TUSK_ADDRESS", map[string]string{"TUSK_ADDRESS": "http://x:1", "TUSK_CONFIG": withContext}, "http://x:1", "tx"},
		{"TUSK_TOKEN wins", map[string]string{"TUSK_TOKEN": "mine", "TUSK_CONFIG": withContext}, "10.0.0.5:1650", "mine"},
		{"active context", map[string]string{"TUSK_CONFIG": withContext}, "10.0.0.5:1650", "tlab"},
		{"no active context", map[string]string{"TUSK_CONFIG": noActive}, client.DefaultAddress, ""},
		{"no config file", map[string]string{"TUSK_CONFIG": filepath.Join(dir, "missing.json")}, client.DefaultAddress, ""},
		{"config under HOME", map[string]string{"HOME": t.TempDir()}, client.DefaultAddress, ""},
		{"nothing set", map[string]string{}, client.DefaultAddress, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := resolveServer(envOf(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			if got.Address != tc.want || got.Token != tc.token {
				t.Errorf("address, token = %q, %q; want %q, %q", got.Address, got.Token, tc.want, tc.token)
			}
		})
	}
	_, err := resolveServer(envOf(map[string]string{"TUSK_CONFIG": broken}))
	if err == nil || !strings.Contains(err.Error(), `active context "gone"`) {
		t.Errorf("an active context that does not exist: err = %v", err)
	}
}

func TestConfigPath(t *testing.T) {
	got, err := configPath(envOf(map[string]string{"HOME": "/home/u"}))
	if err != nil || got != filepath.Join("/home/u", ".config", "tusk", "config.json") {
		t.Errorf("configPath with HOME = %q, %v", got, err)
	}
	got, err = configPath(envOf(map[string]string{"HOME": "/home/u", "TUSK_CONFIG": "/etc/tusk.json"}))
	if err != nil || got != "/etc/tusk.json" {
		t.Errorf("configPath with TUSK_CONFIG = %q, %v", got, err)
	}
}

func TestSaveConfigRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "config.json")
	want := config{ActiveContext: "a", Contexts: map[string]contextConfig{"a": {Address: "h:1"}}}
	if err := saveConfig(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("config directory holds %d entries, want just the config (no temporary files)", len(entries))
	}
}

func TestContextToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	c := config{ActiveContext: "local", Contexts: map[string]contextConfig{
		"local": {Address: "127.0.0.1:1650", Token: "tusk_a"},
		"other": {Address: "http://127.0.0.1:1651", Token: "tusk_b"},
		"empty": {Address: "127.0.0.1:1652"},
	}}
	if err := saveConfig(path, c); err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]string{"127.0.0.1:1650": "tusk_a", "127.0.0.1:1651": "tusk_b"} {
		if got, err := ContextToken(path, addr); err != nil || got != want {
			t.Errorf("ContextToken(%s) = %q, %v; want %q", addr, got, err, want)
		}
	}
	for _, addr := range []string{"127.0.0.1:1652", "127.0.0.1:1653"} {
		if got, err := ContextToken(path, addr); err == nil {
			t.Errorf("ContextToken(%s) = %q, want an error", addr, got)
		}
	}
}
