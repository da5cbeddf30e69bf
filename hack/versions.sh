# Versions of the local control plane and where their binaries are cached.
# Sourced by the hack/ scripts; bump a version here and the cache key follows.
K8S_VERSION=v1.37.2
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.8.0
ARGO_VERSION=v1.10.1
ROLLGATE_CACHE=${ROLLGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rollgate}
BIN_DIR="$ROLLGATE_CACHE/bin/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION-argo-$ARGO_VERSION"
