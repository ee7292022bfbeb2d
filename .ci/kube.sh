#!/usr/bin/env bash
# Builds the programs of a Kubernetes control plane (etcd, kube-apiserver,
# kube-scheduler, kube-controller-manager) from source, from the module in
# tools/kube, and prints the export line the Kubernetes tests need, so that
# a caller can run:
#
#   eval "$(bash .ci/kube.sh)"
#   TUSK_TEST_REQUIRE=kube go test ./internal/kubetest/...
#
# Only the export line goes to stdout; everything else goes to stderr. The
# programs are kept in ${XDG_CACHE_HOME:-$HOME/.cache}/tusk/kube-v1.37.2/
# and built again only when tools/kube changed. The first build takes about
# 500 CPU-seconds and 3 GB of memory (kube-apiserver); later ones, after a
# change, reuse Go's build cache. Nothing is started: the tests start the
# control plane themselves (internal/kubetest). kubectl, which they also
# run, must be on the PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=v1.37.2
DIR="${XDG_CACHE_HOME:-$HOME/.cache}/tusk/kube-${VERSION}"
PROGRAMS=(etcd kube-apiserver kube-scheduler kube-controller-manager)
LDFLAGS="-s -w -X k8s.io/component-base/version.gitVersion=${VERSION}"

log() { echo "kube.sh: $*" >&2; }

# The programs are rebuilt when the module or the flags change: their hash
# is kept beside them.
stamp=$(cd tools/kube && { cat go.mod go.sum etcd/main.go; echo "$LDFLAGS"; } | sha256sum | cut -c1-64)

built() {
	[[ "$(cat "$DIR/stamp" 2>/dev/null)" == "$stamp" ]] || return 1
	local p
	for p in "${PROGRAMS[@]}"; do
		[[ -x "$DIR/$p" ]] || return 1
	done
}

mkdir -p "$DIR"
exec 9>"$DIR.lock"
flock 9 # one build at a time; a second caller waits, then finds it built
if built; then
	log "reusing the control plane ${VERSION} in ${DIR}"
else
	log "building the control plane ${VERSION} into ${DIR} (the first build takes about 5 minutes)"
	rm -f "$DIR/stamp"
	start=$SECONDS
	(cd tools/kube && CGO_ENABLED=0 go build -ldflags "$LDFLAGS" -o "$DIR/" \
		./etcd \
		k8s.io/kubernetes/cmd/kube-apiserver \
		k8s.io/kubernetes/cmd/kube-scheduler \
		k8s.io/kubernetes/cmd/kube-controller-manager) >&2
	echo "$stamp" >"$DIR/stamp"
	log "built in $((SECONDS - start)) s"
fi
if ! command -v kubectl >/dev/null; then
	log "no kubectl on the PATH: the tests that check manifests with it will fail"
fi
# The chart's tests run `go tool helm` (tools/helm): compiled here, outside
# the tests' time limit, so that a cold build cache does not spend it.
log "compiling helm (tools/helm) for the chart's tests"
(cd tools/helm && CGO_ENABLED=0 go build -o /dev/null helm.sh/helm/v4/cmd/helm) >&2
echo "export TUSK_TEST_KUBE='${DIR}'"
