#!/usr/bin/env bash
# Runs Tusk's whole test suite on this machine. It starts what the tests
# need when it is missing (PostgreSQL from Debian's packages, an S3 server
# built with `go install`), then vets, lints and tests everything with
# CGO_ENABLED=0 (the binary must be static).
#
# Set TUSK_TEST_REQUIRE=postgres,s3,docker,browser to turn a skipped test
# of such a service into a failure (.ci/run does).
set -euo pipefail
cd "$(dirname "$0")/.."
export CGO_ENABLED=0

step() { printf '\n== %s\n' "$*" >&2; }

step "PostgreSQL"
eval "$(bash .ci/postgres.sh)"
step "S3 server"
eval "$(bash .ci/s3.sh)"
if [[ -f .ci/browser.sh ]]; then
	step "Chromium"
	eval "$(bash .ci/browser.sh)"
fi

step "gofmt"
unformatted=$(gofmt -l cmd internal 2>/dev/null || true)
if [[ -n "$unformatted" ]]; then
	echo "not gofmt'ed:" >&2
	echo "$unformatted" >&2
	exit 1
fi
step "go vet"
go vet ./...
step "staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@2026.2.2 ./...
step "go test"
go test -count=1 -timeout 25m "$@" ./...
