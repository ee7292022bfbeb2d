#!/usr/bin/env bash
# Runs Tusk's whole test suite on this machine. It starts what the tests
# need when it is missing (PostgreSQL from Debian's packages, an S3 server
# built with `go install`, a Kubernetes control plane built from source),
# then vets, lints and tests everything with
# CGO_ENABLED=0 (the binary must be static), and the packages of concurrent
# code once more under the race detector.
#
# Set TUSK_TEST_REQUIRE=postgres,s3,docker,browser,fuse,kube to turn a skipped test
# of such a service into a failure (.ci/run does).
set -euo pipefail
cd "$(dirname "$0")/.."
export CGO_ENABLED=0

step() { printf '\n== %s\n' "$*" >&2; }

# Each script makes one service available and prints the export lines
# the tests read (TUSK_TEST_POSTGRES, TUSK_TEST_S3, ...), and for a server
# it started, TUSK_STOP_<SERVICE>: the command that stops it, run on exit.
stop_services() {
	local v
	for v in ${!TUSK_STOP_@}; do
		step "stopping ${v#TUSK_STOP_}"
		bash -c "${!v}" >&2 || true
	done
}
for v in ${!TUSK_STOP_@}; do unset "$v"; done
trap stop_services EXIT
for service in postgres s3 docker browser imagemagick s3clients fuse kube; do
	if [[ -f ".ci/$service.sh" ]]; then
		step "$service"
		eval "$(bash ".ci/$service.sh")"
	fi
done

step "gofmt"
unformatted=$(gofmt -l . 2>/dev/null || true)
if [[ -n "$unformatted" ]]; then
	echo "not gofmt'ed:" >&2
	echo "$unformatted" >&2
	exit 1
fi
step "go vet"
go vet ./...
step "staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
step "go test"
go test -count=1 -timeout 25m "$@" ./...
# The packages of concurrent code again, under the race detector (which
# needs cgo; the shipped binary stays static). -short trims the long
# randomized loops, which the run above made in full.
step "go test -race"
CGO_ENABLED=1 go test -race -short -count=1 -timeout 25m "$@" \
	./internal/pfs/... ./internal/pps/... ./internal/meta/... ./internal/worker/... ./internal/server/...
