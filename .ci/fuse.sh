#!/usr/bin/env bash
# Makes FUSE available for the tests of tusk mount and prints the export
# line they need, so that a caller can run:
#
#   eval "$(bash .ci/fuse.sh)"
#   TUSK_TEST_REQUIRE=fuse go test -run Mount ./internal/cli/
#
# Only the export line goes to stdout; everything else goes to stderr.
# Installs Debian's fuse3 package (the fusermount3 helper) with apt-get
# when it is missing, which needs root. The kernel's /dev/fuse must exist:
# in a container, run it with --device /dev/fuse --cap-add SYS_ADMIN.
# Running the script twice is harmless.
set -euo pipefail

log() { echo "fuse.sh: $*" >&2; }

if ! command -v fusermount3 >/dev/null; then
	log "installing fuse3 with apt-get"
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fuse3 >&2
fi
if ! command -v fusermount3 >/dev/null; then
	log "no fusermount3 command after installing fuse3"
	exit 1
fi
if [[ ! -c /dev/fuse ]]; then
	log "no /dev/fuse: load the fuse module (modprobe fuse), or give the container --device /dev/fuse"
	exit 1
fi
log "using $(fusermount3 --version 2>&1)"
echo "export TUSK_TEST_FUSE=1"
