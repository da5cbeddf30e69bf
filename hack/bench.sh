#!/usr/bin/env bash
# make bench: seconds to verdict of `kubectl rollout status` and of
# `rollgate check`, started together on the same rollout of the same local
# cluster, for a doomed release (image pull failure, progressDeadlineSeconds
# 120) and a healthy one; then seconds from a doomed release until the old
# version serves again: the usual pipeline (`kubectl rollout status`, then
# `kubectl rollout undo` and `rollout status` again) against `rollgate run`,
# each on its own copy of the Deployment; last, a release of 1, 10 and 100
# Deployments (one crash-looping) gated by one `rollgate run` against N
# concurrent `kubectl rollout status` (hack/benchrelease: wall time, peak
# RSS, each gate's own API requests, the doomed verdict time). Prints the
# figures and their ratio; asserts nothing.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/hack/versions.sh"
RG="$ROOT/bin/rollgate"
K="$BIN_DIR/kubectl"
NS=rollgate-bench

eval "$(bash "$ROOT/hack/cluster.sh" up | tail -n 1)"
export KUBECONFIG
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"; "$K" delete namespace "$NS" --wait=false >/dev/null 2>&1 || true' EXIT
"$K" delete namespace "$NS" --ignore-not-found --wait=true --timeout=90s >/dev/null
"$K" create namespace "$NS" >/dev/null 2>&1 || true
until "$K" -n "$NS" get serviceaccount default >/dev/null 2>&1; do sleep 0.2; done

manifest() { # manifest IMAGE SIM [NAME]
  local name=${3:-bench}
  cat <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: $name, namespace: $NS}
spec:
  replicas: 3
  progressDeadlineSeconds: 120
  selector: {matchLabels: {app: $name}}
  template:
    metadata:
      labels: {app: $name${2:+, rollgate.dev/sim: "$2"}}
    spec:
      containers: [{name: app, image: "$1"}]
YAML
}

now() { date +%s.%N; }

# result NAME T0 KUBECTL_LABEL ROLLGATE_LABEL: print the two timings the
# racers left in $TMP/k and $TMP/r, and their ratio.
result() {
  local k_rc k_end r_rc r_end
  read -r k_rc k_end < "$TMP/k"
  read -r r_rc r_end < "$TMP/r"
  awk -v n="$1" -v t0="$2" -v kl="$3" -v rl="$4" -v k="$k_end" -v r="$r_end" -v kc="$k_rc" -v rc="$r_rc" 'BEGIN {
    kt = k - t0; rt = r - t0
    printf "%-34s %-22s %7.2fs (exit %d)   %-14s %6.2fs (exit %d)   ratio %6.1fx\n", n, kl, kt, kc, rl, rt, rc, (rt > 0 ? kt / rt : 0)
  }'
}

# race NAME: apply the release, start both gates at once, print their times.
race() {
  local name=$1 image=$2 sim=$3 t0
  manifest "$image" "$sim" | "$K" apply -f - >/dev/null
  t0=$(now)
  # set +e: a failing gate is a result here, not a reason to stop the subshell.
  ( set +e; "$K" -n "$NS" rollout status deployment/bench --timeout 10m >/dev/null 2>&1; echo "$? $(now)" > "$TMP/k" ) &
  ( set +e; "$RG" check deployment/bench -n "$NS" --timeout 10m >/dev/null 2>&1; echo "$? $(now)" > "$TMP/r" ) &
  wait
  result "$name" "$t0" "kubectl rollout status" "rollgate check"
}

echo "# seconds from release to verdict, same cluster, started together"
race "healthy v1 (first rollout)" registry.example/bench:v1 ""
race "healthy v2" registry.example/bench:v2 ""

# complete NAME: both tools, one after the other, on the Deployment that has
# already rolled out (v2): the mean time to say so over 10 runs each.
complete() {
  local n=10 t0 k r
  t0=$(now); for _ in $(seq $n); do "$K" -n "$NS" rollout status deployment/bench --timeout 1m >/dev/null; done
  k=$(awk -v a="$t0" -v b="$(now)" -v n=$n 'BEGIN { print (b - a) / n }')
  t0=$(now); for _ in $(seq $n); do "$RG" check deployment/bench -n "$NS" --timeout 1m >/dev/null; done
  r=$(awk -v a="$t0" -v b="$(now)" -v n=$n 'BEGIN { print (b - a) / n }')
  awk -v n="$1" -v k="$k" -v r="$r" 'BEGIN {
    printf "%-34s %-22s %7.3fs            %-14s %6.3fs            ratio %6.1fx\n", n, "kubectl rollout status", k, "rollgate check", r, (r > 0 ? k / r : 0)
  }'
}
complete "already complete v2 (mean of 10)"
race "doomed v3 (image not found)" registry.example/bench:v3 imagepull

# restore NAME: a doomed release on two copies; the kubectl pipeline and
# rollgate run each bring theirs back to the previous version.
restore() {
  local name=$1 sim=$2 t0
  for d in bench-k bench-r; do manifest registry.example/bench:v1 "" "$d" | "$K" apply -f - >/dev/null; done
  for d in bench-k bench-r; do "$K" -n "$NS" rollout status "deployment/$d" --timeout 2m >/dev/null; done
  for d in bench-k bench-r; do manifest registry.example/bench:v2 "$sim" "$d" | "$K" apply -f - >/dev/null; done
  t0=$(now)
  ( set +e
    "$K" -n "$NS" rollout status deployment/bench-k --timeout 10m >/dev/null 2>&1 ||
      { "$K" -n "$NS" rollout undo deployment/bench-k >/dev/null 2>&1 && "$K" -n "$NS" rollout status deployment/bench-k --timeout 10m >/dev/null 2>&1; }
    echo "$? $(now)" > "$TMP/k" ) &
  ( set +e; "$RG" run deployment/bench-r -n "$NS" --timeout 10m >/dev/null 2>&1; echo "$? $(now)" > "$TMP/r" ) &
  wait
  result "$name" "$t0" "kubectl status+undo" "rollgate run"
}

echo "# seconds from a doomed release until v1 serves again (rollgate exit 1 = rolled back)"
restore "crash-looping v2, rolled back" crashloop

# The release section needs the cluster to itself: this namespace's doomed
# Deployments would keep the controllers busy.
"$K" delete namespace "$NS" --wait=true --timeout=90s >/dev/null 2>&1 || true
(cd "$ROOT" && "${GO:-go}" run ./hack/benchrelease -rollgate "$RG" -kubectl "$K")
