#!/usr/bin/env bash
# The install step of action.yml: puts a rollgate binary in place and on PATH.
#
# Which binary: the release named by the version input, else the release the
# action's own ref names (uses: rollgate/rollgate@v0.3.0; a moving tag such as
# @v1 or @v1.2 is resolved to its newest release through the GitHub API). A
# release archive is checked against the release's checksums.txt (sha256)
# and kept in the runner's tool cache, so later steps and jobs on the same
# runner download nothing. Only an untagged ref (a branch, a commit, uses: ./)
# builds the action's source with the runner's Go, and says so.
#
# Reads the runner's RUNNER_OS, RUNNER_ARCH, RUNNER_TOOL_CACHE, RUNNER_TEMP,
# GITHUB_OUTPUT, GITHUB_PATH, GITHUB_API_URL, and from the action
# INPUT_VERSION, ACTION_REF, ACTION_REPOSITORY, ACTION_PATH, GITHUB_TOKEN.
# ROLLGATE_DOWNLOAD_URL overrides where releases are downloaded from (tests,
# mirrors): $ROLLGATE_DOWNLOAD_URL/<tag>/<asset>.
# Writes the step output bin (the binary's path) and exits 4 on failure,
# rollgate's exit code for a runtime error.
set -euo pipefail

base=${ROLLGATE_DOWNLOAD_URL:-https://github.com/rollgate/rollgate/releases/download}
api=${GITHUB_API_URL:-https://api.github.com}
repo=${ACTION_REPOSITORY:-rollgate/rollgate}
ref=${ACTION_REF:-}
version=${INPUT_VERSION:-}

fail() { echo "::error title=rollgate install::$*"; exit 4; }
say() { echo "rollgate install: $*"; }
# curl_api PATH [ACCEPT]: a GitHub API GET, with the job's token when there is one.
curl_api() {
  local auth=()
  if [ -n "${GITHUB_TOKEN:-}" ]; then auth=(-H "Authorization: Bearer ${GITHUB_TOKEN}"); fi
  curl -fsSL --retry 2 --max-time 30 -H "Accept: ${2:-application/vnd.github+json}" ${auth[@]+"${auth[@]}"} "${api}$1"
}
sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

case "${RUNNER_OS:-}" in
  Linux) os=linux ;;
  macOS) os=darwin ;;
  Windows) os=windows ;;
  *) fail "unknown runner OS '${RUNNER_OS:-}' (RUNNER_OS): want Linux, macOS or Windows" ;;
esac
# amd64/arm64 name the release archive; x64/arm64 the tool cache directory,
# as @actions/tool-cache spells them.
case "${RUNNER_ARCH:-}" in
  X64) arch=amd64 cachearch=x64 ;;
  ARM64) arch=arm64 cachearch=arm64 ;;
  *) fail "no rollgate release for runner architecture '${RUNNER_ARCH:-}' (releases: X64, ARM64)" ;;
esac

release_tag='^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$'
moving_tag='^v[0-9]+(\.[0-9]+)?$'
if [ -n "$version" ]; then
  [[ $version =~ $release_tag ]] || fail "version input '$version' is no release version (want e.g. v0.3.0)"
elif [[ $ref =~ $release_tag ]]; then
  version=$ref
elif [[ $ref =~ $moving_tag ]]; then
  # @v1 is a tag that moves with every v1.x.y release; its binaries are the
  # newest v1.x.y release's (prereleases excluded).
  tags=$(curl_api "/repos/${repo}/releases?per_page=100" | grep -o '"tag_name": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/') ||
    fail "could not list the releases of ${repo} to resolve @${ref}: set the version input (e.g. version: ${ref}.0)"
  version=$(printf '%s\n' "$tags" | grep -E "^${ref//./\\.}\.[0-9.]+$" | sort -V | tail -n 1 || true)
  [ -n "$version" ] || fail "${repo} has no release matching @${ref}: set the version input"
  say "@${ref} is release ${version}"
fi
if [ -n "$version" ] && [ "$os" = windows ]; then
  fail "rollgate releases are built for Linux and macOS; on Windows use the action at a commit or branch (it builds from source with Go)"
fi

exe=rollgate
if [ -n "$version" ]; then
  version=v${version#v}
  asset="rollgate_${version#v}_${os}_${arch}.tar.gz" # .goreleaser.yaml's archives.name_template
  dir="${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:?}/tool-cache}/rollgate/${version#v}/${cachearch}"
  if [ -x "$dir/$exe" ] && [ -f "$dir.complete" ]; then
    say "rollgate ${version} from the tool cache ($dir)"
  else
    tmp=$(mktemp -d "${RUNNER_TEMP:-/tmp}/rollgate-download.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    url="${base}/${version}"
    say "downloading ${url}/${asset}"
    curl -fsSL --retry 3 -o "$tmp/$asset" "${url}/${asset}" ||
      fail "could not download ${url}/${asset}: is ${version} a rollgate release with a ${os}/${arch} archive?"
    curl -fsSL --retry 3 -o "$tmp/checksums.txt" "${url}/checksums.txt" ||
      fail "could not download ${url}/checksums.txt, so ${asset} cannot be verified"
    want=$(awk -v a="$asset" '$2 == a || $2 == "*" a { print $1; exit }' "$tmp/checksums.txt")
    [ -n "$want" ] || fail "checksums.txt of ${version} lists no ${asset}; not installing it"
    got=$(sha256 "$tmp/$asset")
    [ "$got" = "$want" ] || fail "checksum mismatch for ${asset}: sha256 ${got}, checksums.txt says ${want}; not installing it"
    say "sha256 ${got} ${asset}: matches checksums.txt"
    tar -xzf "$tmp/$asset" -C "$tmp" "$exe" || fail "${asset} holds no ${exe}"
    mkdir -p "$dir"
    mv "$tmp/$exe" "$dir/$exe"
    chmod +x "$dir/$exe"
    touch "$dir.complete"
  fi
else
  # An untagged ref: the action's own source at that ref, with the runner's
  # Go (go itself fetches a newer toolchain when go.mod asks for one).
  say "the action's ref '${ref:-(local)}' is no release tag: building rollgate from the action's source with the runner's Go (set the version input, or use a release tag, to download a verified release instead)"
  command -v go >/dev/null 2>&1 ||
    fail "no Go on this runner: add actions/setup-go before this step, or set the version input to download a release"
  commit=$(git -C "${ACTION_PATH:?}" rev-parse HEAD 2>/dev/null || true)
  if [ -z "$commit" ] && [[ $ref =~ ^[0-9a-f]{40}$ ]]; then commit=$ref; fi
  if [ -z "$commit" ] && [ -n "$ref" ]; then # a branch: ask GitHub which commit was checked out
    commit=$(curl_api "/repos/${repo}/commits/${ref}" application/vnd.github.sha 2>/dev/null || true)
  fi
  if [ "$os" = windows ]; then exe=rollgate.exe; fi
  dir="${RUNNER_TEMP:?}/rollgate-bin"
  mkdir -p "$dir"
  (cd "$ACTION_PATH" && CGO_ENABLED=0 go build -trimpath -buildvcs=false \
    -ldflags "-s -w -X github.com/rollgate/rollgate/cmd/rollgate/app.version=source-${ref:-local} -X github.com/rollgate/rollgate/cmd/rollgate/app.commit=${commit:-unknown}" \
    -o "$dir/$exe" ./cmd/rollgate)
fi

echo "bin=${dir}/${exe}" >>"${GITHUB_OUTPUT:?}"
echo "${dir}" >>"${GITHUB_PATH:?}"
"${dir}/${exe}" version
