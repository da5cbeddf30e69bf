#!/usr/bin/env bash
# The Debian packages the make targets need beyond Go: openssl and curl
# (hack/cluster.sh makes certificates and polls the control plane), make, and
# a real Prometheus server (the analysis tests, make demo, make bench).
# Used by make test, make demo, make bench and .ci/run.
#
# As root it installs whatever is missing with apt-get (one apt-get update
# first); as anyone else it prints the one command to run and exits 1, so a
# target stops before it starts a cluster it cannot finish with.
# Usage: hack/deps.sh [PACKAGE...]   (default: every package below)
set -euo pipefail

# package -> the command it provides
declare -A provides=([openssl]=openssl [curl]=curl [make]=make [prometheus]=prometheus)
pkgs=("$@")
if [ ${#pkgs[@]} -eq 0 ]; then pkgs=(openssl curl make prometheus); fi

need=()
for pkg in "${pkgs[@]}"; do
  cmd=${provides[$pkg]:-$pkg}
  command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing ${need[*]}; install with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "deps: missing ${need[*]}, and this is no Debian/Ubuntu machine (no apt-get): install them with the system's package manager" >&2
  exit 1
fi
echo "deps: installing ${need[*]} with apt-get" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
for pkg in "${need[@]}"; do
  cmd=${provides[$pkg]:-$pkg}
  command -v "$cmd" >/dev/null 2>&1 || { echo "deps: $pkg installed, but $cmd is still not on PATH" >&2; exit 1; }
done
