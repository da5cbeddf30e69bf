#!/usr/bin/env bash
# make demo: the main job end to end on the local control plane. Starts (or
# reuses) the cluster, deploys a sample app, releases a new version with
# kubectl and gates it with rollgate, then cleans up after itself.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/hack/versions.sh"
RG="$ROOT/bin/rollgate"
KUBECTL="$BIN_DIR/kubectl"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

eval "$(bash "$ROOT/hack/cluster.sh" up | tail -n 1)"
export KUBECONFIG
cleanup() { "$KUBECTL" delete namespace rollgate-demo --wait=false >/dev/null 2>&1 || true; }
trap cleanup EXIT

say "deploy shop-api v1 (3 replicas) and gate it"
"$KUBECTL" apply -f "$ROOT/hack/demo/app.yaml"
"$RG" check deployment/shop-api -n rollgate-demo --timeout 2m

say "release v2: kubectl set image, then the pipeline's gate step"
"$KUBECTL" -n rollgate-demo set image deployment/shop-api api=registry.example/shop-api:v2
set +e
"$RG" check deployment/shop-api -n rollgate-demo --timeout 2m
code=$?
set -e
say "rollgate exited $code (0 = the release stands)"
exit "$code"
