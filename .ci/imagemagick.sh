#!/usr/bin/env bash
# Makes ImageMagick available for the opencv example (examples/opencv) and
# prints the export line its test needs, so that a caller can run:
#
#   eval "$(bash .ci/imagemagick.sh)"
#   TUSK_TEST_REQUIRE=imagemagick go test ./internal/examplestest/
#
# Only the export line goes to stdout; everything else goes to stderr.
# Installs Debian's imagemagick package with apt-get when `montage` is
# missing (about 30 seconds), which needs root. Running the script twice is
# harmless.
set -euo pipefail

log() { echo "imagemagick.sh: $*" >&2; }

if ! command -v montage >/dev/null; then
	log "installing imagemagick with apt-get (about 30 seconds)"
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends imagemagick >&2
fi
if ! command -v montage >/dev/null; then
	log "no montage command after installing imagemagick"
	exit 1
fi
log "using $(montage -version | head -n 1)"
echo "export TUSK_TEST_IMAGEMAGICK=1"
