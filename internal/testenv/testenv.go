package testenv

import (
	"os"
	"strings"
	"testing"
)

// RequireVar names the environment variable that lists, comma-separated,
// the services whose tests must run rather than skip, e.g. "postgres,s3".
const RequireVar = "TUSK_TEST_REQUIRE"

// Require returns the value of envVar, which tells the test how to reach
// service. If envVar is unset or empty the test is skipped or, if service
// is listed in TUSK_TEST_REQUIRE, fails with a message saying how to start
// the service: by the convention of this repository with the script
// .ci/<service>.sh, which prints the export lines to eval.
func Require(t testing.TB, service, envVar string) string {
	t.Helper()
	if v := os.Getenv(envVar); v != "" {
		return v
	}
	if required(service) {
		t.Fatalf("%s is not set, but %s=%q requires the %s tests to run; start the service and set the variable with:\n\teval \"$(bash .ci/%s.sh)\"",
			envVar, RequireVar, os.Getenv(RequireVar), service, service)
		return ""
	}
	t.Skipf("%s is not set: skipping the tests that need %s (start it with: eval \"$(bash .ci/%s.sh)\")", envVar, service, service)
	return ""
}

// required reports whether TUSK_TEST_REQUIRE lists service.
func required(service string) bool {
	for s := range strings.SplitSeq(os.Getenv(RequireVar), ",") {
		if strings.EqualFold(strings.TrimSpace(s), service) {
			return true
		}
	}
	return false
}
