#!/usr/bin/env bash
# Build prometheus and promtool from source for the local stack and the tests, at the
# version of the prom/prometheus:vX.Y.Z image in docker-compose.yml.
#
# Output: ${FACTORY_TELEMETRY_CACHE:-$HOME/.cache/factory-telemetry}/prometheus-<X.Y.Z>/
# containing both binaries. The last line on stdout is that directory. If both binaries
# exist, the script does nothing. Progress goes to stderr.
#
# Usage: prometheus/build.sh [--plan]
#   --plan  print version=, module_version= and output= lines, and build nothing.
#
# Prometheus 3.X.Y is published as the Go module version v0.3XX.Y (3.16.0 is v0.316.0).
# Binaries built with `go install` have no embedded web UI; the HTTP API, the OTLP
# receiver and the rule engine work. Needs Go and the Go module proxy. A first build
# takes about 8 minutes of CPU time.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
compose_file="$(dirname "$script_dir")/docker-compose.yml"
cache_root="${FACTORY_TELEMETRY_CACHE:-$HOME/.cache/factory-telemetry}"
module="github.com/prometheus/prometheus"
# The recording rules use the `anchored` range modifier, which is stable and always on
# from Prometheus 3.16.0 (CHANGELOG of that release). Older releases, such as Debian's
# prometheus 2.x package, cannot evaluate the rules.
min_minor=16

fail() {
  echo "prometheus/build.sh: $*" >&2
  exit 1
}

[[ -f "$compose_file" ]] \
  || fail "$compose_file not found. It pins the Prometheus version (image prom/prometheus:vX.Y.Z)."

# Image references on lines that are not comments, without duplicates.
versions="$(grep -v '^[[:space:]]*#' "$compose_file" \
  | grep -oE 'prom/prometheus:v[0-9]+\.[0-9]+\.[0-9]+' \
  | sed 's|^prom/prometheus:v||' \
  | sort -u || true)"
[[ -n "$versions" ]] || fail "no image prom/prometheus:vX.Y.Z found in $compose_file"
[[ "$(wc -l <<<"$versions")" -eq 1 ]] \
  || fail "$compose_file names several Prometheus versions ($(paste -sd " " - <<<"$versions")); pin one"
version="$versions"

IFS=. read -r major minor patch <<<"$version"
[[ "$major" == 3 ]] || fail "Prometheus $version is not a 3.x release; this script maps only 3.X.Y to Go module versions"
((10#$minor >= min_minor)) \
  || fail "Prometheus $version is older than 3.$min_minor, which the recording rules need (anchored range modifier)"
module_version="v0.$((major * 100 + 10#$minor)).$patch"

output_dir="$cache_root/prometheus-$version"

if [[ "${1:-}" == "--plan" ]]; then
  echo "version=$version"
  echo "module_version=$module_version"
  echo "output=$output_dir"
  exit 0
elif [[ $# -gt 0 ]]; then
  fail "unknown argument '$1' (usage: prometheus/build.sh [--plan])"
fi

if [[ -x "$output_dir/prometheus" && -x "$output_dir/promtool" ]]; then
  echo "$output_dir"
  exit 0
fi

go_cmd="${GO:-$(command -v go || true)}"
[[ -n "$go_cmd" && -x "$go_cmd" ]] || fail "Go is not installed or not on PATH. \
Install Go (https://go.dev/dl/) or set GO=/path/to/go. Distribution packages of Prometheus \
are usually 2.x and cannot evaluate the recording rules, so the script does not use them."

mkdir -p "$output_dir"
# Build next to the final files so that each `mv` is a rename on one file system. The
# existence check above needs both binaries, and prometheus is moved last, so an
# interrupted build is rebuilt on the next run.
work_dir="$(mktemp -d "$output_dir/.build.XXXXXX")"
trap 'rm -rf "$work_dir"' EXIT

echo "Building prometheus and promtool $version ($module@$module_version). The first build takes several minutes." >&2
GOBIN="$work_dir" "$go_cmd" install \
  -ldflags "-X github.com/prometheus/common/version.Version=$version" \
  "$module/cmd/prometheus@$module_version" \
  "$module/cmd/promtool@$module_version" >&2 \
  || fail "go install of $module@$module_version failed; its output is above"

mv -f "$work_dir/promtool" "$output_dir/promtool"
mv -f "$work_dir/prometheus" "$output_dir/prometheus"

echo "Built $output_dir/prometheus and $output_dir/promtool" >&2
echo "$output_dir"
