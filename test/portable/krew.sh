#!/usr/bin/env bash
# The krew route: installs the portable tarball with krew itself (built from
# the Go module proxy, cached by version) using the rendered manifest, then
# runs it the way krew users do, as `kubectl meshctl`.
#   test/portable/krew.sh TARBALL MANIFEST
set -euo pipefail
tarball="$(readlink -f "$1")"
manifest="$(readlink -f "$2")"
krew_version=v0.4.3
cache="${XDG_CACHE_HOME:-$HOME/.cache}/meshctl-tools/krew-$krew_version"
if [[ ! -x "$cache/krew" ]]; then
  echo "krew: building $krew_version (cached in $cache)"
  GOBIN="$cache" GOFLAGS=-mod=mod go install "sigs.k8s.io/krew/cmd/krew@$krew_version" ||
    { echo "krew: go install sigs.k8s.io/krew/cmd/krew@$krew_version failed (output above)" >&2; exit 1; }
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0
pass() { echo "  ok   $1"; }
fail() { echo "  FAIL $1"; failures=$((failures + 1)); }

export KREW_ROOT="$work/krew" KREW_NO_UPGRADE_CHECK=1
# krew wants the manifest named after the plugin.
cp "$manifest" "$work/meshctl.yaml"
if "$cache/krew" install --manifest="$work/meshctl.yaml" --archive="$tarball" >"$work/install.log" 2>&1; then
  pass "krew installs the tarball with the rendered manifest (sha256 matches)"
else
  fail "krew install: $(tail -3 "$work/install.log")"
fi
export PATH="$KREW_ROOT/bin:$PATH"
if out="$(kubectl meshctl version 2>&1)"; then pass "kubectl meshctl version: $(head -1 <<<"$out")"; else fail "kubectl meshctl version: $out"; fi
help="$(kubectl meshctl join --help 2>&1 || true)"
if grep -qxF "Usage: kubectl meshctl join [OPTIONS] [clusters...]" <<<"$help"; then
  pass "help through krew's link says kubectl meshctl"
else
  fail "help says: $(head -2 <<<"$help")"
fi
# A manifest whose sha256 does not match the archive must be refused.
mkdir -p "$work/bad"
sed -E "s/sha256: [0-9a-f]+/sha256: $(printf '0%.0s' {1..64})/" "$work/meshctl.yaml" >"$work/bad/meshctl.yaml"
if KREW_ROOT="$work/krew2" "$cache/krew" install --manifest="$work/bad/meshctl.yaml" --archive="$tarball" \
  >"$work/bad.log" 2>&1; then
  fail "krew accepted a manifest with the wrong sha256"
elif grep -qi 'checksum\|sha256' "$work/bad.log"; then
  pass "krew refuses the tarball under a wrong sha256 (the check above can fail)"
else
  fail "krew failed on the wrong sha256, but not for the checksum: $(tail -2 "$work/bad.log")"
fi
((failures == 0)) || { echo "krew checks: $failures failed"; exit 1; }
echo "krew checks: all passed"
