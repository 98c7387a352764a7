#!/usr/bin/env bash
# Installs everything meshctl needs to build and test, from Debian's packages.
# Idempotent: packages already present are left alone and apt is not touched.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libcli11-dev libcurl4-openssl-dev libssl-dev libyaml-cpp-dev libfmt-dev
  doctest-dev nlohmann-json3-dev
  clang clang-format libclang-rt-14-dev
  openssl curl jq time
  zsh fish groff-base man-db
  patchelf
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v go >/dev/null || { echo "install-deps: Go is required for the lab (test/lab); install Go 1.24 or newer" >&2; exit 1; }
command -v kubectl >/dev/null || { echo "install-deps: kubectl is required by the end-to-end tests" >&2; exit 1; }
