package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/tuskdata/tusk/internal/tusk"
)

func TestMainUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, "error: unknown command \"frobnicate\" for \"tusk\"\nTry: tusk --help\n"},
		{[]string{"create"}, "error: tusk create needs a noun: branch, defaults, pipeline, project, repo, secret\nTry: tusk create --help\n"},
		{[]string{"list", "pipelnes"}, "error: unknown noun \"pipelnes\" for tusk list (did you mean pipeline or pipelines?); want one of: branch, commit, datum, file, job, pipeline, project, repo, secret, transaction\nTry: tusk list --help\n"},
		{[]string{"lisst", "repo"}, "error: unknown command \"lisst\" for \"tusk\" (did you mean list?)\nTry: tusk --help\n"},
		{[]string{"list", "repo", "--outptu", "json"}, "error: unknown flag: --outptu (did you mean --output?)\nTry: tusk list repo --help\n"},
		{[]string{"create", "repo"}, "error: tusk create repo takes a repo name, got 0 argument(s)\nTry: tusk create repo --help\n"},
		{[]string{"list", "repo", "--nope"}, "error: unknown flag: --nope\nTry: tusk list repo --help\n"},
		{[]string{"list", "commit", "r", "-n", "x"}, "error: invalid argument \"x\" for \"-n, --number\" flag: strconv.ParseInt: parsing \"x\": invalid syntax\nTry: tusk list commit --help\n"},
		{[]string{"get", "file", "r@master"}, "error: get file needs a file path: repo@ref:/path, got \"r@master\"\nTry: tusk get file --help\n"},
	} {
		var stdout, stderr bytes.Buffer
		code := Main(context.Background(), tc.args, strings.NewReader(""), &stdout, &stderr)
		if code != exitUsage || stderr.String() != tc.want {
			t.Errorf("tusk %s: exit %d, stderr %q; want exit 2, %q", strings.Join(tc.args, " "), code, stderr.String(), tc.want)
		}
	}
}

func TestMainHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"put", "file", "--help"}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("put file --help: exit %d, stderr %s", code, stderr.String())
	}
	for _, want := range []string{"--untar", "--full-path", "-r, --recursive", "/p/...  (the directory's name is dropped)"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("put file --help lacks %q", want)
		}
	}
	stdout.Reset()
	Main(context.Background(), []string{"list", "repo", "--help"}, strings.NewReader(""), &stdout, &stderr)
	if !strings.Contains(stdout.String(), "NDJSON") {
		t.Errorf("list repo --help does not document -o json as NDJSON:\n%s", stdout.String())
	}
}

func TestReport(t *testing.T) {
	cmd := &cobra.Command{Use: "tusk"}
	notFound := tusk.Errorf(tusk.KindNotFound, "repo %q not found", "imgs").WithHint("create it with: tusk create repo imgs")
	for _, tc := range []struct {
		err  error
		code int
		want string
	}{
		{notFound, exitError, "error: repo \"imgs\" not found\n  create it with: tusk create repo imgs\n"},
		{fmt.Errorf("delete repo imgs: %w", notFound), exitError, "error: delete repo imgs: repo \"imgs\" not found\n  create it with: tusk create repo imgs\n"},
		{errors.New("disk full"), exitError, "error: disk full\n"},
		{fmt.Errorf("get file: %w", context.Canceled), exitError, "error: interrupted\n"},
		{usagef("bad"), exitUsage, "error: bad\nTry: tusk --help\n"},
	} {
		var buf bytes.Buffer
		if code := report(&buf, cmd, tc.err); code != tc.code || buf.String() != tc.want {
			t.Errorf("report(%v): exit %d, %q; want %d, %q", tc.err, code, buf.String(), tc.code, tc.want)
		}
	}
}
