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
# A previous run's namespace may still be terminating.
"$KUBECTL" delete namespace rollgate-demo --ignore-not-found --wait=true --timeout=90s >/dev/null

say "deploy shop-api v1 (3 replicas) and gate it"
"$KUBECTL" apply -f "$ROOT/hack/demo/app.yaml"
"$RG" check deployment/shop-api -n rollgate-demo --timeout 2m

say "release v2: kubectl set image, then the pipeline's gate step"
"$KUBECTL" -n rollgate-demo set image deployment/shop-api api=registry.example/shop-api:v2
"$RG" check deployment/shop-api -n rollgate-demo --timeout 2m

say "release v3: its pods crash-loop (progressDeadlineSeconds is 600 s: kubectl rollout status would wait 10 minutes)"
# The rollgate.dev/sim label makes the local cluster's fake kubelet (a kwok
# Stage) crash the new containers, as a broken release would.
"$KUBECTL" -n rollgate-demo patch deployment shop-api --type merge -p \
  '{"spec":{"template":{"metadata":{"labels":{"rollgate.dev/sim":"crashloop"}},"spec":{"containers":[{"name":"api","image":"registry.example/shop-api:v3"}]}}}}'
start=$SECONDS
set +e
"$RG" check deployment/shop-api -n rollgate-demo --timeout 10m
code=$?
set -e
if [ "$code" -ne 1 ]; then
  say "unexpected: rollgate exited $code for a crash-looping release (want 1)"
  exit 1
fi
say "rollgate failed the doomed release in $((SECONDS - start))s with exit 1 and a diagnosis; v1 -> v2 passed with exit 0"
