#!/usr/bin/env bash
# Makes the S3 clients that the S3 gateway's tests drive available (awscli,
# rclone, s3cmd, and boto3 for Debian's python3) and prints the export line
# those tests need, so that a caller can run:
#
#   eval "$(bash .ci/s3clients.sh)"
#   TUSK_TEST_REQUIRE=s3clients go test ./internal/s3gw/
#
# Only the export line goes to stdout; everything else goes to stderr.
# Installs Debian's packages with apt-get for what is missing (about a
# minute), which needs root. Running the script twice is harmless.
set -euo pipefail

log() { echo "s3clients.sh: $*" >&2; }

missing=()
command -v aws >/dev/null || missing+=(awscli)
command -v rclone >/dev/null || missing+=(rclone)
command -v s3cmd >/dev/null || missing+=(s3cmd)
/usr/bin/python3 -c 'import boto3' 2>/dev/null || missing+=(python3-boto3)
if ((${#missing[@]})); then
	log "installing ${missing[*]} with apt-get (about a minute)"
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
for c in aws rclone s3cmd; do
	if ! command -v "$c" >/dev/null; then
		log "no $c command after installing"
		exit 1
	fi
done
if ! /usr/bin/python3 -c 'import boto3' 2>/dev/null; then
	log "/usr/bin/python3 cannot import boto3 after installing python3-boto3"
	exit 1
fi
log "using $(aws --version 2>&1), $(rclone version | head -n 1), $(s3cmd --version)"
echo "export TUSK_TEST_S3CLIENTS=1"
