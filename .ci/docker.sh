#!/usr/bin/env bash
# Checks that a Docker engine answers, builds the images the docker runner
# tests use when they are missing or out of date, and prints the export
# line those tests need, so that a caller can run:
#
#   eval "$(bash .ci/docker.sh)"
#   TUSK_TEST_REQUIRE=docker go test ./internal/runner/docker/
#
# Only the export line goes to stdout; everything else goes to stderr. No
# registry is needed: the test image is FROM scratch plus Debian's static
# busybox, installed with apt-get when missing (needs root).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=tusk-test/busybox:latest
CONTEXT_DIR=testdata/images/busybox

log() { echo "docker.sh: $*" >&2; }

if ! command -v docker >/dev/null; then
	log "no docker command; install Docker (apt-get install docker.io) and start the engine"
	exit 1
fi
if ! docker info >/dev/null 2>&1; then
	log "the Docker engine does not answer:"
	docker info >&2 || true
	log "start it (dockerd, or systemctl start docker) and make sure this user may use its socket"
	exit 1
fi
log "Docker engine $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')"

if ! dpkg-query -W -f '${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed'; then
	log "installing busybox-static with apt-get"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >&2 ||
		{ apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >&2; }
fi

# The image is rebuilt when the Dockerfile or busybox changed: their hash
# is a label of the image.
hash=$(cat "$CONTEXT_DIR/Dockerfile" /bin/busybox | sha256sum | cut -c1-16)
have=$(docker image inspect --format '{{index .Config.Labels "tusk.test.hash"}}' "$IMAGE" 2>/dev/null || true)
if [[ "$have" != "$hash" ]]; then
	log "building $IMAGE"
	build=$(mktemp -d "${TMPDIR:-/tmp}/tusk-image.XXXXXX")
	trap 'rm -rf "$build"' EXIT
	cp "$CONTEXT_DIR/Dockerfile" /bin/busybox "$build/"
	docker build --quiet --label "tusk.test.hash=$hash" -t "$IMAGE" "$build" >&2
else
	log "$IMAGE is up to date"
fi

echo "export TUSK_TEST_DOCKER=1"
