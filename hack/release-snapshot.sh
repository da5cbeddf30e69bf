#!/usr/bin/env bash
# make release-snapshot: the release goreleaser would publish for a tag, built
# locally into dist/ and published nowhere: the four archives, checksums.txt,
# an SBOM per archive, the krew manifest and, with a Docker engine, the images.
# goreleaser and syft are installed with go install into a cache outside the
# repository (the first run compiles them: minutes), keyed by version.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/hack/versions.sh"

GORELEASER_VERSION=v2.15.1 # the newest that builds with Go 1.26; keep in step with .github/workflows/release.yml
SYFT_VERSION=v1.57.1
TOOLS="$ROLLGATE_CACHE/tools"

log() { printf '%s release-snapshot: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# tool NAME VERSION PACKAGE [LDFLAGS]: go install PACKAGE@VERSION into the cache, once.
tool() {
  local dir="$TOOLS/$1-$2"
  if [ ! -x "$dir/$1" ]; then
    log "installing $1 $2 into $dir (first run only; compiling takes minutes)"
    # A global GOFLAGS such as -mod=vendor or -buildvcs=false has no business here.
    GOBIN="$dir" GOFLAGS='' go install -ldflags "${4:-}" "$3@$2"
  fi
  PATH="$dir:$PATH"
}
tool goreleaser "$GORELEASER_VERSION" github.com/goreleaser/goreleaser/v2
# syft names itself in every SBOM it writes; go install leaves its version unset.
tool syft "$SYFT_VERSION" github.com/anchore/syft/cmd/syft "-X main.version=${SYFT_VERSION#v}"
export PATH

skip=()
if ! docker info >/dev/null 2>&1; then
  log "no Docker engine (docker info fails): skipping the images (dockers, docker_manifests)"
  skip=(--skip=docker)
fi
cd "$ROOT"
# goreleaser reads the commit only together with the remote's URL; a clone
# without a remote would build version 0.0.0-SNAPSHOT-none at commit "none".
# Name the upstream for this one command instead of changing .git/config.
if [ -z "$(git remote)" ]; then
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url GIT_CONFIG_VALUE_0=https://github.com/rollgate/rollgate.git
fi
goreleaser release --snapshot --clean "${skip[@]}" "$@"
log "done: dist/"
ls -1 dist/*.tar.gz dist/checksums.txt dist/*.sbom.json dist/krew/*.yaml 2>/dev/null || true
