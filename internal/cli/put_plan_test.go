package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// planTree makes the local files the cases below put, and changes into
// their directory.
func planTree(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"x":           "xx",
		"dir/x":       "dx",
		"dir/sub/y":   "y",
		"café.csv":    "c",
		"list.txt":    "x\ndir/sub/y\n\n",
		"urllist.txt": "gs://bucket/a\n",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
}

// describe renders items as "local -> target" lines.
func describe(items []putItem) []string {
	var out []string
	for _, it := range items {
		s := filepath.ToSlash(it.local) + " -> " + it.target
		if it.untar {
			s += " (untar)"
		}
		out = append(out, s)
	}
	return out
}

func TestPlanPutTargets(t *testing.T) {
	planTree(t)
	for _, tc := range []struct {
		name string
		dest string
		opts putOptions
		want []string
	}{
		{"file to a path", "/p", putOptions{files: []string{"x"}}, []string{"x -> /p"}},
		{"base name without a path", "", putOptions{files: []string{"dir/x"}}, []string{"dir/x -> /x"}},
		{"full path", "", putOptions{files: []string{"dir/x"}, fullPath: true}, []string{"dir/x -> /dir/x"}},
		{"full path is cleaned", "", putOptions{files: []string{"./dir//x"}, fullPath: true}, []string{"./dir//x -> /dir/x"}},
		{"UTF-8 name", "", putOptions{files: []string{"café.csv"}}, []string{"café.csv -> /café.csv"}},
		{"recursive keeps the directory name", "", putOptions{files: []string{"dir"}, recursive: true},
			[]string{"dir/sub/y -> /dir/sub/y", "dir/x -> /dir/x"}},
		{"recursive to a path drops the directory name", "/p", putOptions{files: []string{"dir"}, recursive: true},
			[]string{"dir/sub/y -> /p/sub/y", "dir/x -> /p/x"}},
		{"recursive on a file", "/p", putOptions{files: []string{"x"}, recursive: true}, []string{"x -> /p"}},
		{"several sources go under the path", "/p", putOptions{files: []string{"x", "dir/sub/y"}},
			[]string{"x -> /p/x", "dir/sub/y -> /p/y"}},
		{"trailing slash names a directory", "/p/", putOptions{files: []string{"x"}}, []string{"x -> /p/x"}},
		{"root", "/", putOptions{files: []string{"x"}}, []string{"x -> /x"}},
		{"standard input", "/s", putOptions{}, []string{"- -> /s"}},
		{"standard input as -f -", "/s", putOptions{files: []string{"-"}}, []string{"- -> /s"}},
		{"untar a file into the root", "", putOptions{files: []string{"x"}, untar: true}, []string{"x -> / (untar)"}},
		{"untar a file under a path", "/t", putOptions{files: []string{"x"}, untar: true}, []string{"x -> /t (untar)"}},
		{"untar standard input", "", putOptions{untar: true}, []string{"- -> / (untar)"}},
		{"input list", "/l", putOptions{inputList: "list.txt"}, []string{"x -> /l/x", "dir/sub/y -> /l/y"}},
		{"input list and -f", "/l", putOptions{files: []string{"café.csv"}, inputList: "list.txt"},
			[]string{"café.csv -> /l/café.csv", "x -> /l/x", "dir/sub/y -> /l/y"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items, err := planPut(tc.opts, tc.dest, func(string, ...any) {}, newBuckets(context.Background()))
			if err != nil {
				t.Fatalf("planPut: %v", err)
			}
			if diff := cmp.Diff(tc.want, describe(items)); diff != "" {
				t.Errorf("targets (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanPutErrors(t *testing.T) {
	planTree(t)
	for _, tc := range []struct {
		name  string
		dest  string
		opts  putOptions
		want  string
		usage bool
	}{
		{"directory without -r", "", putOptions{files: []string{"dir"}}, "dir is a directory; add -r", false},
		{"standard input without a path", "", putOptions{}, "needs a file path", true},
		{"standard input to a directory", "/d/", putOptions{}, "needs a file path", true},
		{"standard input with other sources", "/p", putOptions{files: []string{"-", "x"}}, "cannot be combined", true},
		{"URL", "/p", putOptions{files: []string{"gs://bucket/x"}}, "not supported yet", false},
		{"URL in the input list", "/p", putOptions{inputList: "urllist.txt"}, "not supported yet", false},
		{"URL as the input list", "/p", putOptions{inputList: "s3://bucket/list"}, "not supported yet", false},
		{"missing file", "", putOptions{files: []string{"nope"}}, "no such file", false},
		{"dot-dot in the path", "/a/../b", putOptions{files: []string{"x"}}, "may not contain '.' or '..' elements", false},
		{"dot in the path", "/a/./b", putOptions{files: []string{"x"}}, "may not contain '.' or '..' elements", false},
		{"control character in the path", "/a\nb", putOptions{files: []string{"x"}}, "control character", false},
		{"full path leaving the directory", "", putOptions{files: []string{"../" + filepath.Base(mustGetwd(t)) + "/x"}, fullPath: true},
			"may not contain '.' or '..' elements", false},
		{"untar a directory", "", putOptions{files: []string{"dir"}, untar: true}, "--untar takes tar archives", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := planPut(tc.opts, tc.dest, func(string, ...any) {}, newBuckets(context.Background()))
			if err == nil {
				t.Fatalf("planPut succeeded, want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if got := errors.As(err, new(usageError)); got != tc.usage {
				t.Errorf("usage error = %v, want %v (%v)", got, tc.usage, err)
			}
		})
	}
}

func mustGetwd(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

func TestPlanPutS3Errors(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	plan := func(opts putOptions) error {
		_, err := planPut(opts, "", func(string, ...any) {}, newBuckets(context.Background()))
		return err
	}
	if err := plan(putOptions{files: []string{"s3://bucket/key?endpoint=http://127.0.0.1:1"}}); err == nil ||
		!strings.Contains(err.Error(), "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") {
		t.Errorf("S3 URL without credentials: %v", err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "id")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	for _, tc := range []struct {
		opts putOptions
		want string
	}{
		{putOptions{files: []string{"s3://bucket?endpoint=http://127.0.0.1:1"}}, "names a bucket, not an object: add -r"},
		{putOptions{files: []string{"s3://bucket/t.tar?endpoint=http://127.0.0.1:1"}, untar: true}, "--untar does not apply"},
		{putOptions{files: []string{"s3://bucket/k?endpoint=ftp://host"}}, "is not http(s)://host[:port]"},
	} {
		err := plan(tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.opts.files, err, tc.want)
		}
	}
}
