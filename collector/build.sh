#!/usr/bin/env bash
# Build the factory-telemetry collector (otelcol-factory) from collector/builder-config.yaml
# with the OpenTelemetry Collector Builder, for the local stack and the tests.
#
# Output: ${FACTORY_TELEMETRY_CACHE:-$HOME/.cache/factory-telemetry}/otelcol-factory-<version>-<hash>/otelcol-factory,
# where <version> is dist.version of the manifest and <hash> the first 12 hex digits of
# the manifest's SHA-256, so that adding a component builds a new binary. The last
# line on stdout is that path.
# If the binary exists, the script does nothing. Progress goes to stderr.
#
# Usage: collector/build.sh [--plan]
#   --plan  print version=, builder_version= and output= lines, and build nothing.
#
# Needs Go (the `go` command, or GO=/path/to/go) and access to the Go module proxy.
# A first build takes about 3 minutes on a 2-core machine.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
manifest="$script_dir/builder-config.yaml"
cache_root="${FACTORY_TELEMETRY_CACHE:-$HOME/.cache/factory-telemetry}"

fail() {
  echo "collector/build.sh: $*" >&2
  exit 1
}

# Print the value of `version:` inside the top-level `dist:` block of the manifest.
read_dist_version() {
  awk '
    /^[^[:space:]#]/ { in_dist = ($0 ~ /^dist:/) }
    in_dist && /^[[:space:]]+version:/ {
      value = $0
      sub(/^[[:space:]]+version:[[:space:]]*/, "", value)
      sub(/[[:space:]]*(#.*)?$/, "", value)
      print value
      exit
    }
  ' "$1"
}

[[ -f "$manifest" ]] || fail "manifest not found: $manifest"
version="$(read_dist_version "$manifest")"
version="${version//\"/}"
version="${version//\'/}"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] \
  || fail "dist.version in $manifest is missing or not X.Y.Z (found '$version')"

builder_version="v$version"
manifest_hash="$(sha256sum "$manifest" | cut -c1-12)"
output_dir="$cache_root/otelcol-factory-$version-$manifest_hash"
binary="$output_dir/otelcol-factory"

if [[ "${1:-}" == "--plan" ]]; then
  echo "version=$version"
  echo "builder_version=$builder_version"
  echo "output=$binary"
  exit 0
elif [[ $# -gt 0 ]]; then
  fail "unknown argument '$1' (usage: collector/build.sh [--plan])"
fi

if [[ -x "$binary" ]]; then
  echo "$binary"
  exit 0
fi

go_cmd="${GO:-$(command -v go || true)}"
[[ -n "$go_cmd" && -x "$go_cmd" ]] \
  || fail "Go is not installed or not on PATH. Install Go (https://go.dev/dl/) or set GO=/path/to/go."

# The builder is installed once per version into the cache, not into GOPATH/bin.
builder_dir="$cache_root/ocb-$builder_version"
builder="$builder_dir/builder"
if [[ ! -x "$builder" ]]; then
  echo "Installing OpenTelemetry Collector Builder $builder_version into $builder_dir" >&2
  mkdir -p "$builder_dir"
  GOBIN="$builder_dir" "$go_cmd" install "go.opentelemetry.io/collector/cmd/builder@$builder_version" \
    || fail "go install of the collector builder $builder_version failed"
fi

mkdir -p "$output_dir"
# The temp dir is next to the final binary, so the final `mv` is a rename on one file
# system. An interrupted build therefore leaves no partial otelcol-factory behind.
work_dir="$(mktemp -d "$output_dir/.build.XXXXXX")"
trap 'rm -rf "$work_dir"' EXIT

# output_path in the manifest is relative to the working directory, and this builder
# version has no flag for it, so a copy of the manifest points it at the temp dir.
sed -E "s|^([[:space:]]+output_path:).*|\\1 $work_dir/src|" "$manifest" >"$work_dir/manifest.yaml"
grep -q "output_path: $work_dir/src" "$work_dir/manifest.yaml" \
  || fail "could not set dist.output_path in the copy of $manifest; does the manifest have an output_path line?"

echo "Building otelcol-factory $version with the collector builder. The first build takes a few minutes." >&2
# The builder runs the first `go` on PATH.
(cd "$work_dir" && PATH="$(dirname "$go_cmd"):$PATH" "$builder" --config "$work_dir/manifest.yaml") >&2 \
  || fail "the collector builder failed; its output is above"

[[ -x "$work_dir/src/otelcol-factory" ]] \
  || fail "the builder finished but $work_dir/src/otelcol-factory is missing"
mv -f "$work_dir/src/otelcol-factory" "$binary"

echo "Built $binary" >&2
echo "$binary"
