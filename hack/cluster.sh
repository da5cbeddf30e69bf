#!/usr/bin/env bash
# Runs a real, throwaway Kubernetes control plane on 127.0.0.1 for rollgate's
# tests and demos: etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kwok (fake nodes that "run" pods) and the Argo Rollouts
# controller. No containers: binaries from hack/build-cluster-bins.sh; the
# script itself needs only openssl, curl and setsid (API calls are curl).
#
# Usage: hack/cluster.sh up|down|env|status
#   up      start the cluster, or reuse the healthy one in the state dir.
#           Progress goes to stderr; the last stdout line is
#           `export KUBECONFIG=<state dir>/kubeconfig`, so `eval "$(hack/cluster.sh up)"` works;
#           the line before it exports ROLLGATE_AUDIT_LOG (see "Audit log" below).
#   down    stop the processes of the state dir and delete it
#   env     print the export lines of the running cluster (exit 1 if none)
#   status  say whether the cluster runs (exit 1 if not)
#
# Environment:
#   ROLLGATE_CLUSTER_DIR      state dir: certs, etcd data, logs, pids, kubeconfig
#                             (default /tmp/rollgate-cluster)
#   ROLLGATE_ARGO             1 (default) also builds and runs Argo Rollouts; 0 skips it
#   ROLLGATE_CLUSTER_TIMEOUT  seconds each wait of `up` may take (default 90)
#   ROLLGATE_ETCD_PORT (23790) ROLLGATE_ETCD_PEER_PORT (23800)
#   ROLLGATE_APISERVER_PORT (26443) ROLLGATE_KCM_PORT (26257)
#   ROLLGATE_SCHEDULER_PORT (26259) ROLLGATE_KWOK_PORT (26080)
#   ROLLGATE_ARGO_METRICS_PORT (26090) ROLLGATE_ARGO_HEALTHZ_PORT (26091)
#
# Audit log: the apiserver records every mutating request (create, update,
# patch, delete, deletecollection; Metadata level: who, what, no bodies) in
# <state dir>/audit/audit.log, one JSON event a line, so a test can prove
# that a command changed nothing (test/e2e counts one ServiceAccount's writes).
# A cluster started by an older cluster.sh (another LAYOUT) is restarted by `up`.
#
# Pods on the fake nodes go Pending -> Running/Ready via kwok's stock stages.
# A pod labelled rollgate.dev/sim=crashloop|imagepull|never-ready|oomkilled|failed
# is driven instead by hack/cluster/stages/<value>.yaml to that failure.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=hack/versions.sh
. "$HERE/versions.sh"

STATE=${ROLLGATE_CLUSTER_DIR:-/tmp/rollgate-cluster}
case $STATE in /*) ;; *) STATE=${PWD%/}/$STATE ;; esac # kubeconfig and pids need absolute paths
STATE=${STATE%/}
ARGO=${ROLLGATE_ARGO:-1}
TIMEOUT=${ROLLGATE_CLUSTER_TIMEOUT:-90}
ETCD_PORT=${ROLLGATE_ETCD_PORT:-23790}
ETCD_PEER_PORT=${ROLLGATE_ETCD_PEER_PORT:-23800}
APISERVER_PORT=${ROLLGATE_APISERVER_PORT:-26443}
KCM_PORT=${ROLLGATE_KCM_PORT:-26257}
SCHEDULER_PORT=${ROLLGATE_SCHEDULER_PORT:-26259}
KWOK_PORT=${ROLLGATE_KWOK_PORT:-26080}
ARGO_METRICS_PORT=${ROLLGATE_ARGO_METRICS_PORT:-26090}
ARGO_HEALTHZ_PORT=${ROLLGATE_ARGO_HEALTHZ_PORT:-26091}

NODES=(kwok-node-0 kwok-node-1 kwok-node-2)
SIM_LABEL=rollgate.dev/sim
# Start order; `down` stops in reverse (the apiserver hangs if etcd goes first).
ALL=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok rollouts-controller)
MARKER=.rollgate-cluster # only a dir holding this file is ever rm -rf'd
# LAYOUT versions what a running cluster is expected to have; `up` restarts
# one whose state dir records another (2: the apiserver audit log).
LAYOUT=2
AUDIT_LOG=$STATE/audit/audit.log
PKI=$STATE/pki
KUBECONFIG_PATH=$STATE/kubeconfig

log() { printf '%s cluster: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

now_ms() { # for the startup time; %N is GNU-only, fall back to whole seconds
  local t
  t=$(date +%s%3N)
  if [[ $t =~ ^[0-9]+$ ]]; then echo "$t"; else echo "$(($(date +%s) * 1000))"; fi
}

lock() { # serialise up/down: a second concurrent `up` waits, then reuses the cluster
  mkdir -p "$(dirname "$STATE")"
  exec 9>"$STATE.lock"
  command -v flock >/dev/null || { log "flock not found; not locking $STATE.lock"; return 0; }
  flock -n 9 || { log "waiting for another cluster.sh holding $STATE.lock"; flock 9; }
}

build_bins() { # no-op when cached; a lock in the cache keeps clusters in other state dirs from building twice
  local flag=--with-argo
  [ "$ARGO" != 0 ] || flag=--without-argo
  mkdir -p "$ROLLGATE_CACHE"
  exec 8>"$ROLLGATE_CACHE/build.lock"
  if command -v flock >/dev/null && ! flock -n 8; then
    log "waiting for a build of the binaries by another cluster.sh ($ROLLGATE_CACHE/build.lock)"
    flock 8
  fi
  "$HERE/build-cluster-bins.sh" "$flag" >&2
  exec 8>&-
}

# --- processes -------------------------------------------------------------

running_pid() { # running_pid NAME: print the pid of NAME if its pid file names a live NAME process
  local f=$STATE/pids/$1.pid pid argv0
  [ -r "$f" ] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  # Compare argv[0] so a recycled pid (or a zombie) is never taken for ours.
  if [ -r "/proc/$pid/cmdline" ]; then
    argv0=$(tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline" | sed -n 1p)
  else
    argv0=$(ps -o args= -p "$pid" 2>/dev/null | awk '{print $1}') || return 1
  fi
  [ "${argv0##*/}" = "$1" ] || return 1
  echo "$pid"
}

start() { # start NAME ARGS...: run $BIN_DIR/NAME in the background, logs and pid in $STATE
  local name=$1
  shift
  log "starting $name (log: $STATE/logs/$name.log)"
  # setsid: own session, so a Ctrl-C or hangup of the caller does not reach it.
  # 9>&-: the daemon must not inherit (and so hold) the flock.
  setsid "$BIN_DIR/$name" "$@" >"$STATE/logs/$name.log" 2>&1 </dev/null 9>&- &
  local pid=$! i
  echo "$pid" >"$STATE/pids/$name.pid"
  echo "$name" >>"$STATE/components"
  # Until the forked shell has exec'd, the pid's argv[0] is not NAME and
  # running_pid would call it dead: wait_until then fails a healthy start.
  for ((i = 0; i < 100; i++)); do
    ! running_pid "$name" >/dev/null || break
    ! gone "$pid" || break
    sleep 0.02
  done
}

gone() { # gone PID: the process has exited (or is a zombie); an exiting one still holds its ports
  local st
  if [ -d /proc ]; then
    st=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || true
  else
    st=$(ps -o stat= -p "$1" 2>/dev/null) || true
  fi
  [ -z "$st" ] || [ "${st:0:1}" = Z ]
}

stop_one() { # stop_one NAME: SIGTERM, up to 5s grace, then SIGKILL
  local name=$1 pid i
  if pid=$(running_pid "$name"); then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      ! gone "$pid" || break
      sleep 0.1
    done
    if ! gone "$pid"; then
      log "$name ignored SIGTERM for 5s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do
        ! gone "$pid" || break
        sleep 0.1
      done
    fi
  fi
  rm -f "$STATE/pids/$name.pid"
}

stop_all() {
  local i
  [ -d "$STATE/pids" ] || return 0
  for ((i = ${#ALL[@]} - 1; i >= 0; i--)); do stop_one "${ALL[i]}"; done
}

remove_state() {
  [ -e "$STATE" ] || return 0
  case $STATE in / | "$HOME" | /tmp | /root | /home) die "refusing to delete $STATE" ;; esac
  if [ -e "$STATE/$MARKER" ] || [ -z "$(ls -A "$STATE")" ]; then
    rm -rf "$STATE"
  else
    die "$STATE exists but was not made by cluster.sh (no $MARKER); refusing to delete it"
  fi
}

fail() { # fail MESSAGE [NAME]: report, show NAME's log tail, stop what was started
  log "ERROR: $1"
  if [ -n "${2:-}" ] && [ -f "$STATE/logs/$2.log" ]; then
    log "last lines of $STATE/logs/$2.log:"
    tail -n 30 "$STATE/logs/$2.log" >&2
  fi
  stop_all
  log "logs kept in $STATE/logs; 'hack/cluster.sh down' deletes them"
  exit 1
}

wait_until() { # wait_until WHAT NAME CHECK...: poll CHECK; fail naming NAME's log on timeout or death
  local what=$1 name=$2 deadline=$((SECONDS + TIMEOUT))
  shift 2
  until "$@"; do
    running_pid "$name" >/dev/null || fail "$name exited while waiting for $what" "$name"
    [ "$SECONDS" -lt "$deadline" ] || fail "timed out after ${TIMEOUT}s waiting for $what" "$name"
    sleep 0.2
  done
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- API access with curl --------------------------------------------------

api() { # api PATH [CURL ARGS...]: request to the apiserver as rollgate-admin
  local path=$1
  shift
  curl -sS --noproxy '*' --max-time 20 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "$@" "https://127.0.0.1:$APISERVER_PORT$path"
}

create() { # create PATH < YAML: POST one manifest; 409 (exists) is fine
  local out code
  out=$(mktemp "$STATE/logs/api-response.XXXXXX")
  code=$(api "$1" -o "$out" -w '%{http_code}' -X POST -H 'Content-Type: application/yaml' --data-binary @-) || code=000
  case $code in
    200 | 201 | 202 | 409) rm -f "$out" ;;
    *) log "POST $1 answered HTTP $code: $(head -c 2000 "$out")"; return 1 ;;
  esac
}

etcd_healthy() { [[ $(curl -sS --noproxy '*' --max-time 5 "http://127.0.0.1:$ETCD_PORT/health" 2>/dev/null) == *'"health":"true"'* ]]; }
apiserver_ready() { [ "$(api /readyz --max-time 5 2>/dev/null)" = ok ]; }
healthz_ok() { [ "$(curl -sSk --noproxy '*' --max-time 5 "$1" 2>/dev/null)" = ok ]; }
sa_exists() { [ "$(api /api/v1/namespaces/default/serviceaccounts/default -o /dev/null -w '%{http_code}' 2>/dev/null)" = 200 ]; }

nodes_ready() { # all fake nodes Ready and untainted (the node controller's not-ready taint is gone)
  local body rest ready='"type":"Ready","status":"True"'
  # pretty=false: compact JSON (curl would get it indented), fields in Go struct order
  body=$(api "/api/v1/nodes?labelSelector=type%3Dkwok&pretty=false" 2>/dev/null) || return 1
  rest=${body//"$ready"/}
  [ $(((${#body} - ${#rest}) / ${#ready})) -eq "${#NODES[@]}" ] && [[ $body != *'"taints"'* ]]
}

crd_established() {
  [[ $(api "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/$1?pretty=false" 2>/dev/null) == *'"type":"Established","status":"True"'* ]]
}

# --- state -----------------------------------------------------------------

healthy() { # every component recorded in the state dir runs and the apiserver is ready
  local c
  [ -f "$STATE/components" ] && [ -f "$KUBECONFIG_PATH" ] || return 1
  while read -r c; do running_pid "$c" >/dev/null || return 1; done <"$STATE/components"
  apiserver_ready
}

has_argo() { grep -qx rollouts-controller "$STATE/components" 2>/dev/null; }

current_layout() { [ "$(cat "$STATE/layout" 2>/dev/null)" = "$LAYOUT" ] && [ -f "$AUDIT_LOG" ]; }

print_env() { printf 'export ROLLGATE_AUDIT_LOG=%s\nexport KUBECONFIG=%s\n' "$AUDIT_LOG" "$KUBECONFIG_PATH"; }

write_audit_policy() { # mutating verbs only, Metadata level: small, and all a "changed nothing" proof needs
  mkdir -p "$STATE/audit"
  cat >"$STATE/audit-policy.yaml" <<'EOF'
apiVersion: audit.k8s.io/v1
kind: Policy
# One event per request, when it is answered (ResponseComplete; Panic if it crashed).
omitStages: [RequestReceived]
rules:
- level: Metadata
  verbs: [create, update, patch, delete, deletecollection]
- level: None
EOF
}

gen_certs() {
  mkdir -p "$PKI"
  cat >"$PKI/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local, IP:10.96.0.1
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
EOF
  ec_key "$PKI/ca.key"
  openssl req -x509 -new -config "$PKI/openssl.cnf" -extensions ca -key "$PKI/ca.key" \
    -subj /CN=rollgate-local-ca -days 3650 -out "$PKI/ca.crt"
  sign_cert apiserver /CN=kube-apiserver server
  sign_cert admin "/O=system:masters/CN=rollgate-admin" client
  # Service-account tokens: RS256 is what every JWT consumer understands.
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$PKI/sa.key" 2>/dev/null
  openssl pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub"
  chmod 600 "$PKI"/*.key
}

# P-256 keys: generated instantly, accepted by Go's TLS stack and by curl.
ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

sign_cert() { # sign_cert NAME SUBJECT EXTENSION-SECTION: key + cert signed by the CA
  ec_key "$PKI/$1.key"
  openssl req -new -config "$PKI/openssl.cnf" -key "$PKI/$1.key" -subj "$2" -out "$PKI/$1.csr"
  openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -CAserial "$PKI/ca.srl" -days 3650 -extfile "$PKI/openssl.cnf" -extensions "$3" -out "$PKI/$1.crt" 2>/dev/null
}

b64() { base64 <"$1" | tr -d '\n'; }

write_kubeconfig() { # certs embedded, so the file works when copied elsewhere
  cat >"$KUBECONFIG_PATH" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: rollgate-local
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(b64 "$PKI/ca.crt")
users:
- name: rollgate-admin
  user:
    client-certificate-data: $(b64 "$PKI/admin.crt")
    client-key-data: $(b64 "$PKI/admin.key")
contexts:
- name: rollgate-local
  context:
    cluster: rollgate-local
    user: rollgate-admin
    namespace: default
current-context: rollgate-local
EOF
  chmod 600 "$KUBECONFIG_PATH"
}

prepare_stages() {
  # kwok picks among matching stages at random by weight, so weight alone can't
  # keep the stock stages off rollgate.dev/sim pods: the stock pod stages that
  # would make them Ready/Completed get a DoesNotExist expression on that label.
  # pod-create, pod-init-* and pod-delete still apply, so sim pods get an IP,
  # run init containers and can be deleted like any other pod.
  local dst=$STATE/stages f name
  mkdir -p "$dst"
  for f in "$BIN_DIR"/kwok-stages/*.yaml; do
    name=${f##*/}
    case $name in
      pod-create.yaml | pod-delete.yaml | pod-init-container-*.yaml) cp "$f" "$dst/" ;;
      *)
        if grep -q '^    kind: Pod$' "$f"; then
          awk -v label="$SIM_LABEL" -v q="'" '
            { print }
            !done && $0 == "    matchExpressions:" {
              print "    - key: " q ".metadata.labels[\"" label "\"]" q
              print "      operator: " q "DoesNotExist" q
              done = 1
            }' "$f" >"$dst/$name"
          grep -q "rollgate.dev/sim" "$dst/$name" || die "could not patch kwok stage $f (layout changed?)"
        else
          cp "$f" "$dst/"
        fi
        ;;
    esac
  done
  for f in "$HERE"/cluster/stages/*.yaml; do cp "$f" "$dst/rollgate-sim-${f##*/}"; done
}

node_yaml() { # a fake node kwok manages (annotation), schedulable, roomy
  cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $1
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: $1
    kubernetes.io/os: linux
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
spec: {}
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "250", ephemeral-storage: 1Ti}
  capacity: {cpu: "32", memory: 256Gi, pods: "250", ephemeral-storage: 1Ti}
EOF
}

# --- commands --------------------------------------------------------------

cmd_up() {
  local t0 p kc=$KUBECONFIG_PATH f n crds=() cfgs=()
  t0=$(now_ms)
  lock
  if healthy && current_layout && { [ "$ARGO" = 0 ] || has_argo; }; then
    t0=$(($(now_ms) - t0))
    log "reusing the running cluster in $STATE (checked in $((t0 / 1000)).$(printf %03d $((t0 % 1000)))s)"
    print_env
    return 0
  fi
  if [ -d "$STATE/pids" ]; then
    if healthy && ! current_layout; then
      log "the running cluster in $STATE was started by an older cluster.sh (layout $(cat "$STATE/layout" 2>/dev/null || echo 1), want $LAYOUT: no apiserver audit log); restarting it"
    elif healthy; then log "the running cluster in $STATE has no Argo Rollouts; restarting it with Argo"
    else log "cleaning up a stale or incomplete cluster in $STATE"; fi
    stop_all
  fi
  remove_state

  for p in ETCD_PORT ETCD_PEER_PORT APISERVER_PORT KCM_PORT SCHEDULER_PORT KWOK_PORT ARGO_METRICS_PORT ARGO_HEALTHZ_PORT; do
    ! port_in_use "${!p}" || die "port ${!p} is in use (another cluster? pick a free one with ROLLGATE_$p)"
  done

  build_bins
  for p in openssl curl setsid; do command -v "$p" >/dev/null || die "$p is required"; done

  mkdir -p "$STATE/logs" "$STATE/pids" "$STATE/kwok" # etcd makes its data dir (0700)
  touch "$STATE/$MARKER" "$STATE/components"
  echo "$LAYOUT" >"$STATE/layout"
  write_audit_policy
  gen_certs
  write_kubeconfig
  prepare_stages

  start etcd --name rollgate --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "rollgate=http://127.0.0.1:$ETCD_PEER_PORT" \
    --unsafe-no-fsync # throwaway data: skip fsync, much faster on slow disks
  wait_until "etcd /health" etcd etcd_healthy

  # --endpoint-reconciler-type none: with a reconciler, v1.37 refuses to start
  # on a loopback --advertise-address ("may not be in the loopback range");
  # no pod here needs the "kubernetes" Service endpoints anyway.
  start kube-apiserver --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --secure-port "$APISERVER_PORT" --advertise-address 127.0.0.1 \
    --endpoint-reconciler-type none \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" --authorization-mode Node,RBAC \
    --service-cluster-ip-range 10.96.0.0/16 \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --allow-privileged=true --profiling=false \
    --audit-policy-file "$STATE/audit-policy.yaml" --audit-log-path "$AUDIT_LOG" \
    --audit-log-format json --audit-log-mode blocking \
    --audit-log-maxsize 50 --audit-log-maxbackup 2 --audit-log-maxage 1
  # The audit flags as k8s.io/apiserver pkg/server/options/audit.go (v0.37.2)
  # defines them: maxsize is MB before rotation, maxbackup the rotated files
  # kept beside audit.log (audit-<time>.log). blocking, the log backend's
  # default, is named because the proof relies on it: each event is written
  # before the response is sent, so a finished client's writes are all there.
  wait_until "kube-apiserver /readyz" kube-apiserver apiserver_ready
  touch "$AUDIT_LOG" # current_layout looks for it; the apiserver writes it from the first event

  start kube-controller-manager --kubeconfig "$kc" \
    --authentication-kubeconfig "$kc" --authorization-kubeconfig "$kc" \
    --bind-address 127.0.0.1 --secure-port "$KCM_PORT" --cert-dir "$STATE/pki/kcm" \
    --leader-elect=false --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --profiling=false
  # The scheduler's --kubeconfig/--leader-elect flags are deprecated: use its config file.
  cat >"$STATE/scheduler.yaml" <<EOF
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: $kc
leaderElection:
  leaderElect: false
enableProfiling: false
EOF
  start kube-scheduler --config "$STATE/scheduler.yaml" \
    --authentication-kubeconfig "$kc" --authorization-kubeconfig "$kc" \
    --bind-address 127.0.0.1 --secure-port "$SCHEDULER_PORT" --cert-dir "$STATE/pki/scheduler"

  # Every container "logs" hack/cluster/logs/*.log (the previous instance's
  # after a restart), so log tails in diagnoses can be tested without a kubelet.
  cat >"$STATE/stages/rollgate-logs.yaml" <<EOF
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: rollgate-logs
spec:
  logs:
  - logsFile: $HERE/cluster/logs/current.log
    previousLogsFile: $HERE/cluster/logs/previous.log
EOF
  for f in "$STATE"/stages/*.yaml; do cfgs+=(--config "$f"); done
  # KWOK_WORKDIR keeps a user's ~/.kwok/kwok.yaml out of this cluster.
  # The stock heartbeat stage refreshes node status only every ~10 min and
  # relies on node Leases, which kwok renews only with a lease duration set;
  # without them the node lifecycle controller marks every node NotReady
  # after its grace period and flips all pods to Ready=False mid-rollout.
  KWOK_WORKDIR=$STATE/kwok start kwok --kubeconfig "$kc" "${cfgs[@]}" \
    --node-lease-duration-seconds 40 \
    --node-port "$KWOK_PORT" --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --cidr 10.244.0.0/16 --node-ip 127.0.0.1 --server-address "127.0.0.1:$KWOK_PORT"
  for n in "${NODES[@]}"; do
    create /api/v1/nodes < <(node_yaml "$n") || fail "could not create node $n" kube-apiserver
  done

  if [ "$ARGO" != 0 ]; then
    for f in "$BIN_DIR"/argo-crds/*.yaml; do
      create /apis/apiextensions.k8s.io/v1/customresourcedefinitions <"$f" || fail "could not create the CRD in $f" kube-apiserver
      crds+=("$(awk '/^metadata:/ { m = 1; next } m && /^  name: / { print $2; exit }' "$f")")
    done
    # Started before its CRDs are served, the controller logs watch errors.
    for n in "${crds[@]}"; do wait_until "CRD $n Established" kube-apiserver crd_established "$n"; done
    # Cluster scope is the default (no --namespaced). Its metrics/healthz
    # listeners bind 0.0.0.0 (hard-coded upstream); only their ports are ours.
    start rollouts-controller --kubeconfig "$kc" --leader-elect=false \
      --metricsPort "$ARGO_METRICS_PORT" --healthzPort "$ARGO_HEALTHZ_PORT"
  fi

  # The serviceaccount controller creates default/default a moment after it
  # starts; until then the ServiceAccount admission rejects every pod.
  wait_until "ServiceAccount default/default" kube-controller-manager sa_exists
  wait_until "kube-controller-manager /healthz" kube-controller-manager healthz_ok "https://127.0.0.1:$KCM_PORT/healthz"
  wait_until "kube-scheduler /healthz" kube-scheduler healthz_ok "https://127.0.0.1:$SCHEDULER_PORT/healthz"
  wait_until "${#NODES[@]} Ready untainted kwok nodes" kwok nodes_ready
  if [ "$ARGO" != 0 ]; then
    wait_until "argo rollouts-controller /healthz" rollouts-controller healthz_ok "http://127.0.0.1:$ARGO_HEALTHZ_PORT/healthz"
  fi

  t0=$(($(now_ms) - t0))
  log "cluster up in $((t0 / 1000)).$(printf %03d $((t0 % 1000)))s (state: $STATE)"
  print_env
}

cmd_down() {
  lock
  [ -e "$STATE" ] || { log "no cluster in $STATE"; return 0; }
  stop_all
  remove_state
  log "cluster down; $STATE removed"
}

cmd_env() {
  healthy || die "no cluster running in $STATE (start one with: $0 up)"
  print_env
}

cmd_status() {
  local c pid
  if healthy; then
    echo "running: $STATE (apiserver https://127.0.0.1:$APISERVER_PORT)"
    if current_layout; then echo "  audit log $AUDIT_LOG"
    else echo "  started by an older cluster.sh, without the audit log: 'up' restarts it"; fi
    while read -r c; do pid=$(running_pid "$c") && echo "  $c pid $pid"; done <"$STATE/components"
  else
    echo "not running: $STATE"
    return 1
  fi
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  env) cmd_env ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 up|down|env|status" >&2
    exit 2
    ;;
esac
