#!/usr/bin/env bash
# Builds the local control plane's binaries from their Go modules into a cache
# outside the repository, keyed by version, so only the first run pays.
# Usage: hack/build-cluster-bins.sh [--with-argo]
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/versions.sh
. "$HERE/versions.sh"

mkdir -p "$BIN_DIR"
log() { printf '%s build: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

timed() { # timed NAME CMD...: run CMD, log how long it took
  local name=$1 start=$SECONDS; shift
  log "building $name (cold builds take minutes; later runs reuse $BIN_DIR)"
  "$@"
  log "$name built in $((SECONDS - start))s"
}

# build_k8s builds the named commands of k8s.io/kubernetes (one go build each;
# they share the build cache, so the second one costs little).
build_k8s() {
  local ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION \
    -X k8s.io/component-base/version.gitMajor=$(echo "${K8S_VERSION#v}" | cut -d. -f1) \
    -X k8s.io/component-base/version.gitMinor=$(echo "${K8S_VERSION#v}" | cut -d. -f2) \
    -X k8s.io/component-base/version.gitTreeState=clean"
  (cd "$HERE/tools/k8s" && for c in "$@"; do
    go build -trimpath -ldflags "$ldflags" -o "$BIN_DIR/$c.tmp" "k8s.io/kubernetes/cmd/$c"
    mv "$BIN_DIR/$c.tmp" "$BIN_DIR/$c"
  done)
}

build_etcd() {
  (cd "$HERE/tools/etcd" && go build -trimpath -ldflags "-s -w" -o "$BIN_DIR/etcd.tmp" go.etcd.io/etcd/server/v3 \
    && mv "$BIN_DIR/etcd.tmp" "$BIN_DIR/etcd")
}

build_kwok() {
  GOBIN="$BIN_DIR" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  # The bare binary has no built-in stages: keep the ones its module ships.
  local dir
  dir=$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  rm -rf "$BIN_DIR/kwok-stages" && mkdir -p "$BIN_DIR/kwok-stages"
  cp "$dir"/kustomize/stage/node/fast/node-initialize.yaml \
     "$dir"/kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
     "$dir"/kustomize/stage/pod/general/pod-*.yaml "$BIN_DIR/kwok-stages/"
  chmod u+w "$BIN_DIR"/kwok-stages/*
}

build_argo() {
  (cd "$HERE/tools/argo" && go build -trimpath -ldflags "-s -w" -o "$BIN_DIR/rollouts-controller.tmp" \
    github.com/argoproj/argo-rollouts/cmd/rollouts-controller && mv "$BIN_DIR/rollouts-controller.tmp" "$BIN_DIR/rollouts-controller")
  local dir
  dir=$(cd "$HERE/tools/argo" && go list -m -f '{{.Dir}}' github.com/argoproj/argo-rollouts)
  rm -rf "$BIN_DIR/argo-crds" && mkdir -p "$BIN_DIR/argo-crds"
  cp "$dir"/manifests/crds/*-crd.yaml "$BIN_DIR/argo-crds/" && chmod u+w "$BIN_DIR"/argo-crds/*
}

with_argo=${ROLLGATE_ARGO:-1}
[ "${1:-}" = "--with-argo" ] && with_argo=1
[ "${1:-}" = "--without-argo" ] && with_argo=0

[ -x "$BIN_DIR/etcd" ] || timed "etcd $ETCD_VERSION" build_etcd
[ -d "$BIN_DIR/kwok-stages" ] && [ -x "$BIN_DIR/kwok" ] || timed "kwok $KWOK_VERSION" build_kwok
# kubectl is not part of the control plane: demo and bench use it to apply
# manifests and to compare against `kubectl rollout status`.
missing=()
for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  [ -x "$BIN_DIR/$c" ] || missing+=("$c")
done
[ ${#missing[@]} -eq 0 ] || timed "kubernetes $K8S_VERSION: ${missing[*]}" build_k8s "${missing[@]}"
if [ "$with_argo" = 1 ]; then
  [ -x "$BIN_DIR/rollouts-controller" ] && [ -d "$BIN_DIR/argo-crds" ] || timed "argo-rollouts $ARGO_VERSION" build_argo
fi
log "binaries ready in $BIN_DIR"
