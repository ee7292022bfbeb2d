#!/usr/bin/env bash
# Builds Tusk's container image, FROM scratch: the static tusk binary at /tusk
# (which the Helm chart's servers run, and which the kube runner's init
# containers copy into every worker pod). Usage:
#   bash scripts/image.sh [IMAGE]     (default ghcr.io/tuskdata/tusk:VERSION)
# It needs the Docker engine, and the host's CA bundle
# (/etc/ssl/certs/ca-certificates.crt, Debian's ca-certificates).
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/^var Version = "\(.*\)"$/\1/p' internal/server/server.go)
image=${1:-ghcr.io/tuskdata/tusk:$version}
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$ctx/tusk" ./cmd/tusk
cp /etc/ssl/certs/ca-certificates.crt "$ctx/"
docker build -q -t "$image" -f Dockerfile "$ctx" >/dev/null
echo "$image"
