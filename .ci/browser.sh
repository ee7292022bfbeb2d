#!/usr/bin/env bash
# Makes a headless Chromium available for the console's browser tests and
# prints the export line they need, so that a caller can run:
#
#   eval "$(bash .ci/browser.sh)"
#   TUSK_TEST_REQUIRE=browser go test ./internal/console/...
#
# Only the export line goes to stdout; everything else goes to stderr.
# Installs Debian's chromium package with apt-get when it is missing (about
# 45 seconds), which needs root. Running the script twice is harmless.
set -euo pipefail

BROWSER="${TUSK_CHROMIUM:-/usr/bin/chromium}"

log() { echo "browser.sh: $*" >&2; }

if [[ ! -x "$BROWSER" ]]; then
	log "installing chromium with apt-get (about 45 seconds)"
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
fi
if [[ ! -x "$BROWSER" ]]; then
	log "no executable at ${BROWSER} after installing chromium"
	exit 1
fi
log "using $("$BROWSER" --version 2>/dev/null || echo "$BROWSER")"
echo "export TUSK_TEST_BROWSER='${BROWSER}'"
