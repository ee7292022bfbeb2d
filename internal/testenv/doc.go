// Package testenv lets tests that need an outside service (an S3 server, a
// database, …) find it through an environment variable, and decides what
// happens when it is missing: the test is skipped, unless TUSK_TEST_REQUIRE
// says the service must be there, as in CI, and then it fails. It also
// builds the static tusk binary for tests that run it; it imports nothing
// of Tusk, so that any package's tests may use it.
package testenv
