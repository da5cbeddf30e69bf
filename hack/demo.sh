#!/usr/bin/env bash
# make demo: the main job end to end on the local control plane. Starts (or
# reuses) the cluster, a real Prometheus and the demo app's metrics
# exporter; deploys shop-api v1, then releases v2 (healthy: promoted), v3
# (its error rate regresses: rolled back automatically) and v4 (its pods
# crash-loop: rolled back in seconds), each gated by `rollgate run`. Cleans
# up after itself; exits 0 when every verdict is the expected one.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/hack/versions.sh"
RG="$ROOT/bin/rollgate"
KUBECTL="$BIN_DIR/kubectl"
NS=rollgate-demo
PROM_ADDR=127.0.0.1:19090
EXPORTER_ADDR=127.0.0.1:19464

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { printf '\n\033[1;31mdemo: %s\033[0m\n' "$*" >&2; exit 1; }

bash "$ROOT/hack/deps.sh" || die "hack/deps.sh could not provide the packages the demo needs"
for addr in "$PROM_ADDR" "$EXPORTER_ADDR"; do
  if curl -s -o /dev/null "http://$addr/"; then die "$addr is in use: stop whatever listens there"; fi
done

eval "$(bash "$ROOT/hack/cluster.sh" up | tail -n 1)"
export KUBECONFIG
WORK=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$KUBECTL" delete namespace "$NS" --wait=false >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
# A previous run's namespace may still be terminating.
"$KUBECTL" delete namespace "$NS" --ignore-not-found --wait=true --timeout=90s >/dev/null

say "start the app's metrics exporter and a Prometheus scraping it every second"
(cd "$ROOT" && go build -o "$WORK/exporter" ./hack/demo/exporter)
"$WORK/exporter" --namespace "$NS" --listen "$EXPORTER_ADDR" >"$WORK/exporter.log" 2>&1 &
pids+=($!)
cat >"$WORK/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: shop-api
    static_configs: [{targets: ["$EXPORTER_ADDR"]}]
YAML
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/data" \
  --web.listen-address="$PROM_ADDR" >"$WORK/prometheus.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://$PROM_ADDR/-/ready" >/dev/null && break; sleep 0.2; done
curl -sf "http://$PROM_ADDR/-/ready" >/dev/null || die "prometheus did not start: $(tail -n 5 "$WORK/prometheus.log")"
echo "prometheus on http://$PROM_ADDR, exporter on http://$EXPORTER_ADDR/metrics"

GATE="$ROOT/hack/demo/gate.yaml"
# expect CODE DESCRIPTION -- ARGS...: run rollgate, insist on its exit code.
expect() {
  local want=$1 what=$2; shift 3
  local start=$SECONDS code=0
  "$RG" "$@" || code=$?
  [ "$code" -eq "$want" ] || die "$what: rollgate exited $code, want $want"
  say "$what: exit $code after $((SECONDS - start))s"
}
release() { # VERSION ERROR_RATIO [SIM]
  local sim=${3:-} labels='{}'
  [ -n "$sim" ] && labels="{\"rollgate.dev/sim\":\"$sim\"}"
  "$KUBECTL" -n "$NS" patch deployment shop-api -p "{\"spec\":{\"template\":{
    \"metadata\":{\"labels\":$labels,\"annotations\":{\"demo.rollgate.dev/error-ratio\":\"$2\"}},
    \"spec\":{\"containers\":[{\"name\":\"api\",\"image\":\"registry.example/shop-api:$1\"}]}}}}"
}
image() { "$KUBECTL" -n "$NS" get deployment shop-api -o jsonpath='{.spec.template.spec.containers[0].image}'; }

say "deploy shop-api v1 (3 replicas) and wait for it: rollgate check"
"$KUBECTL" apply -f "$ROOT/hack/demo/app.yaml"
expect 0 "v1 is ready" -- check deployment/shop-api -n "$NS" --timeout 2m

say "release v2 (1% errors): kubectl apply, then the pipeline's gate step: rollgate run"
release v2 0.01
expect 0 "v2 promoted" -- run deployment/shop-api -f "$GATE"

say "release v3: its error rate regresses to 30%"
release v3 0.3
expect 1 "v3 rolled back" -- run deployment/shop-api -f "$GATE"
[ "$(image)" = registry.example/shop-api:v2 ] || die "after the rollback shop-api runs $(image), want v2"

say "release v4: its pods crash-loop (kubectl rollout status would wait out the 10-minute progress deadline)"
release v4 0.004 crashloop
expect 1 "v4 rolled back" -- run deployment/shop-api -f "$GATE"
[ "$(image)" = registry.example/shop-api:v2 ] || die "after the rollback shop-api runs $(image), want v2"

say "done: v2 promoted (exit 0); v3 (error rate) and v4 (crash loop) rolled back to v2 (exit 1). shop-api runs $(image)"
