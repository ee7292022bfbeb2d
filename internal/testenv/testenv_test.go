package testenv

import (
	"fmt"
	"strings"
	"testing"
)

// recorder is a testing.TB that records Fatalf and Skipf instead of
// stopping the test.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }

func (r *recorder) Skipf(format string, args ...any) { r.skip = fmt.Sprintf(format, args...) }

func TestRequire(t *testing.T) {
	tests := []struct {
		name, value, require string
		want                 string
		fatal, skip          bool
	}{
		{name: "set", value: "s3://b", require: "s3", want: "s3://b"},
		{name: "unset", require: "", skip: true},
		{name: "unset other service required", require: "postgres,docker", skip: true},
		{name: "unset and required", require: "postgres, S3 ,docker", fatal: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TUSK_TEST_FAKE_S3", tt.value)
			t.Setenv(RequireVar, tt.require)
			r := &recorder{TB: t}
			got := Require(r, "s3", "TUSK_TEST_FAKE_S3")
			if got != tt.want {
				t.Errorf("Require = %q, want %q", got, tt.want)
			}
			if (r.fatal != "") != tt.fatal || (r.skip != "") != tt.skip {
				t.Errorf("fatal = %q, skip = %q; want fatal %v, skip %v", r.fatal, r.skip, tt.fatal, tt.skip)
			}
			if tt.fatal && !strings.Contains(r.fatal, ".ci/s3.sh") {
				t.Errorf("failure message %q does not say how to start the service", r.fatal)
			}
		})
	}
}
