package pachapi

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTimestamp(t *testing.T) {
	zone := time.FixedZone("CET", 3600)
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 3, 14, 16, 9, 26, 0, zone), `"2026-03-14T15:09:26Z"`},
		{time.Date(2026, 3, 14, 15, 9, 26, 500e6, time.UTC), `"2026-03-14T15:09:26.500Z"`},
		{time.Date(2026, 3, 14, 15, 9, 26, 1500, time.UTC), `"2026-03-14T15:09:26.000001500Z"`},
		{time.Date(2026, 3, 14, 15, 9, 26, 2000, time.UTC), `"2026-03-14T15:09:26.000002Z"`},
	} {
		b, err := json.Marshal(At(tc.t))
		if err != nil || string(b) != tc.want {
			t.Errorf("Timestamp of %v = %s, %v; want %s", tc.t, b, err, tc.want)
		}
		var back Timestamp
		if err := json.Unmarshal(b, &back); err != nil || !back.Equal(tc.t) {
			t.Errorf("%s read back as %v, %v", b, back, err)
		}
	}
	var s struct {
		T Timestamp `json:"t,omitzero"`
	}
	if b, _ := json.Marshal(s); string(b) != `{}` {
		t.Errorf("a zero Timestamp is written: %s", b)
	}
}

func TestInt64(t *testing.T) {
	var d PipelineDetails
	if err := json.Unmarshal([]byte(`{"datum_tries": 3}`), &d); err != nil || d.DatumTries != 3 {
		t.Fatalf("datum_tries from a spec: %d, %v", d.DatumTries, err)
	}
	if err := json.Unmarshal([]byte(`{"datum_tries": "4"}`), &d); err != nil || d.DatumTries != 4 {
		t.Fatalf("datum_tries from protojson: %d, %v", d.DatumTries, err)
	}
	if b, _ := json.Marshal(d.DatumTries); string(b) != `"4"` {
		t.Errorf("datum_tries written as %s, want a string", b)
	}
	if err := json.Unmarshal([]byte(`{"datum_tries": "many"}`), &d); err == nil {
		t.Error("datum_tries \"many\" read without an error")
	}
}

func TestVersionFrom(t *testing.T) {
	for v, want := range map[string]Version{
		"0.1.0":         {Minor: 1},
		"2.11.3-rc.1":   {Major: 2, Minor: 11, Micro: 3, Additional: "-rc.1"},
		"1.2":           {Major: 1, Minor: 2},
		"dev":           {Additional: "dev"},
		"1.2.3+abc1234": {Major: 1, Minor: 2, Micro: 3, Additional: "+abc1234"},
	} {
		if got := VersionFrom(v); got != want {
			t.Errorf("VersionFrom(%q) = %+v, want %+v", v, got, want)
		}
	}
}

func TestRepoOf(t *testing.T) {
	for name, want := range map[string]Repo{
		"images":     {Name: "images", Type: "user"},
		"edges.spec": {Name: "edges", Type: "spec"},
		"edges.meta": {Name: "edges", Type: "meta"},
		"a.b":        {Name: "a.b", Type: "user"},
	} {
		got := RepoOf(name)
		if got.Name != want.Name || got.Type != want.Type || got.Project == nil || got.Project.Name != "default" {
			t.Errorf("RepoOf(%q) = %+v, want %+v in the default project", name, got, want)
		}
	}
}
