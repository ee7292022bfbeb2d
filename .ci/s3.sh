#!/usr/bin/env bash
# Makes a real S3 server (versitygw over a posix directory) answer on
# 127.0.0.1:$S3_PORT (default 7070) and prints the export lines the S3 tests
# need, so that a caller can run:
#
#   eval "$(bash .ci/s3.sh)"
#   go test ./internal/blob/...
#
# Only export lines go to stdout (with TUSK_STOP_S3, the command that stops
# a server this script started); everything else goes to stderr.
# If something already answers on the port with the expected credentials it
# is reused, so running the script twice is harmless.
set -euo pipefail

PORT="${S3_PORT:-7070}"
ACCESS_KEY="${S3_ACCESS_KEY:-tuskaccess}"
SECRET_KEY="${S3_SECRET_KEY:-tusksecret}"
BUCKET="tusk-test"
VERSION="v1.8.0"
ENDPOINT="http://127.0.0.1:${PORT}"
EMPTY_SHA256="e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

log() { echo "s3.sh: $*" >&2; }

answers() {
	curl -s -o /dev/null --max-time 2 "${ENDPOINT}/"
}

# credentials_ok lists the test bucket with a SigV4-signed request; curl
# (7.75+) signs it with --aws-sigv4, and the payload hash header is that of
# the empty body.
credentials_ok() {
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
		-H "x-amz-content-sha256: ${EMPTY_SHA256}" \
		--aws-sigv4 "aws:amz:us-east-1:s3" --user "${ACCESS_KEY}:${SECRET_KEY}" \
		"${ENDPOINT}/${BUCKET}?list-type=2&max-keys=1") || return 1
	[[ "$code" == 200 ]]
}

print_exports() {
	cat <<EXPORTS
export TUSK_TEST_S3='s3://${BUCKET}/tusk?endpoint=${ENDPOINT}&region=us-east-1'
export AWS_ACCESS_KEY_ID='${ACCESS_KEY}'
export AWS_SECRET_ACCESS_KEY='${SECRET_KEY}'
EXPORTS
}

if answers; then
	if credentials_ok; then
		log "reusing the S3 server already on ${ENDPOINT}"
		print_exports
		exit 0
	fi
	log "something answers on ${ENDPOINT} but not with the expected credentials and bucket ${BUCKET}; set S3_PORT to a free port"
	exit 1
fi

VERSITYGW="$(command -v versitygw || true)"
if [[ -z "$VERSITYGW" && -x "$HOME/go/bin/versitygw" ]]; then
	VERSITYGW="$HOME/go/bin/versitygw"
fi
if [[ -z "$VERSITYGW" ]]; then
	log "installing versitygw ${VERSION} (about a minute)"
	GOBIN="$HOME/go/bin" go install "github.com/versity/versitygw/cmd/versitygw@${VERSION}" >&2
	VERSITYGW="$HOME/go/bin/versitygw"
fi

DIR="$(mktemp -d "${TMPDIR:-/tmp}/tusk-s3.XXXXXX")"
mkdir -p "$DIR/data/${BUCKET}"
log "starting ${VERSITYGW} on ${ENDPOINT}, data in ${DIR}/data, log in ${DIR}/versitygw.log"
ROOT_ACCESS_KEY="$ACCESS_KEY" ROOT_SECRET_KEY="$SECRET_KEY" \
	nohup "$VERSITYGW" --port "127.0.0.1:${PORT}" --quiet posix "$DIR/data" \
	</dev/null >"$DIR/versitygw.log" 2>&1 &
PID=$!
echo "$PID" >"$DIR/pid"

for _ in $(seq 1 100); do
	if answers; then
		if ! credentials_ok; then
			log "the server answers but rejects the credentials or lacks bucket ${BUCKET}:"
			cat "$DIR/versitygw.log" >&2
			exit 1
		fi
		log "versitygw is up (pid ${PID}); stop it with: kill ${PID}"
		print_exports
		# How to stop what this script started (scripts/test.sh does).
		echo "export TUSK_STOP_S3='kill ${PID} && rm -rf ${DIR}'"
		exit 0
	fi
	if ! kill -0 "$PID" 2>/dev/null; then
		log "versitygw exited early:"
		cat "$DIR/versitygw.log" >&2
		exit 1
	fi
	sleep 0.1
done
log "versitygw did not answer on ${ENDPOINT} within 10s:"
cat "$DIR/versitygw.log" >&2
exit 1
