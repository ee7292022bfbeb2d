package cli

import (
	"path/filepath"
	"testing"
)

// The active transaction lives in the context of the server in use; with
// no config file to hold it, there is none, and commands run as before.
func TestActiveTransactionInContext(t *testing.T) {
	env := map[string]string{}
	g := &globals{getenv: func(k string) string { return env[k] }}
	if id, err := g.activeTxn(); err != nil || id != "" {
		t.Errorf("without HOME or TUSK_CONFIG: %q, %v; want none", id, err)
	}

	env["TUSK_CONFIG"] = filepath.Join(t.TempDir(), "config.json")
	env["TUSK_ADDRESS"] = "127.0.0.1:7777"
	if err := g.setActiveTxn("t1"); err != nil {
		t.Fatal(err)
	}
	if id, err := g.activeTxn(); err != nil || id != "t1" {
		t.Errorf("after setting it: %q, %v; want t1", id, err)
	}
	_, c, err := g.readConfig()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Contexts["127.0.0.1:7777"]; got.Address != "127.0.0.1:7777" || got.ActiveTransaction != "t1" {
		t.Errorf("the context made for the server = %+v, want its address and t1", got)
	}
	env["TUSK_ADDRESS"] = "127.0.0.1:8888"
	if id, err := g.activeTxn(); err != nil || id != "" {
		t.Errorf("another server: %q, %v; want none", id, err)
	}
}
