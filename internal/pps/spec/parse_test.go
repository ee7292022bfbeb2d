package spec

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files")

// TestParseGolden parses each spec in testdata and compares the result,
// defaults filled in, with its .golden file.
func TestParseGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.*")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		if filepath.Ext(file) == ".golden" {
			continue
		}
		t.Run(filepath.Base(file), func(t *testing.T) {
			got := parseFile(t, file)
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(got); err != nil {
				t.Fatal(err)
			}
			data := buf.Bytes()
			golden := file + ".golden"
			if *update {
				if err := os.WriteFile(golden, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v; run go test with -update to create it", err)
			}
			if diff := cmp.Diff(string(want), string(data)); diff != "" {
				t.Errorf("Parse(%s) differs from %s (-want +got):\n%s", file, golden, diff)
			}
		})
	}
}

// TestParseFormatsAgree checks that the same pipelines written as a JSON
// stream with snake_case keys and as YAML documents with lowerCamelCase
// keys parse alike.
func TestParseFormatsAgree(t *testing.T) {
	fromJSON := parseFile(t, "testdata/opencv.json")
	fromYAML := parseFile(t, "testdata/opencv.yaml")
	if diff := cmp.Diff(fromJSON, fromYAML); diff != "" {
		t.Errorf("JSON and YAML specs differ (-json +yaml):\n%s", diff)
	}
}

// TestParseRoundTrip checks that a parsed pipeline, written back as JSON,
// parses to the same pipeline (an empty list, such as full.json's
// "secrets": [], is written as none).
func TestParseRoundTrip(t *testing.T) {
	want := parseFile(t, "testdata/full.json")
	data, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse(Marshal(full.json)): %v", err)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("round trip changed the pipelines (-want +got):\n%s", diff)
	}
}

func parseFile(t *testing.T, file string) []Pipeline {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pipelines, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse(%s): %v", file, err)
	}
	return pipelines
}

// Pipelines (and cron inputs) are all in the default project so far: a
// spec naming another is refused, not read as if it named the default
// one. A pfs input reads a repo of any project.
func TestParseRefusesOtherProjects(t *testing.T) {
	for _, doc := range []string{
		`{"pipeline": {"project": {"name": "ml"}, "name": "edges"}, "transform": {"cmd": ["sh"]}, "input": {"pfs": {"repo": "images", "glob": "/*"}}}`,
		`{"pipeline": {"name": "tick"}, "transform": {"cmd": ["sh"]}, "input": {"cron": {"name": "tick", "project": "ops", "spec": "@every 1m"}}}`,
	} {
		_, err := Parse([]byte(doc))
		if err == nil || !strings.Contains(err.Error(), `Tusk has only the "default" project so far`) {
			t.Errorf("Parse(%s): %v, want a refusal of the project", doc, err)
		}
	}
	doc := `{"pipeline": {"project": {"name": "default"}, "name": "edges"}, "transform": {"cmd": ["sh"]}, "input": {"pfs": {"project": "default", "repo": "images", "glob": "/*"}}}`
	if _, err := Parse([]byte(doc)); err != nil {
		t.Errorf("the default project, named: %v", err)
	}
	doc = `{"pipeline": {"name": "edges"}, "transform": {"cmd": ["sh"]}, "input": {"union": [{"pfs": {"repo": "images", "glob": "/*"}}, {"pfs": {"project": "staging", "repo": "images", "glob": "/*"}}]}}`
	if _, err := Parse([]byte(doc)); err != nil {
		t.Errorf("an input of project staging: %v", err)
	}
	doc = `{"pipeline": {"name": "edges"}, "transform": {"cmd": ["sh"]}, "input": {"pfs": {"project": "st/aging", "repo": "images", "glob": "/*"}}}`
	if _, err := Parse([]byte(doc)); err == nil || !strings.Contains(err.Error(), "input.pfs.project") {
		t.Errorf("an input of a project with a bad name: %v, want refused", err)
	}
}
