#!/usr/bin/env bash
# Configures and builds meshctl. Usage: scripts/build.sh [BUILD_DIR] [extra cmake args...]
# MESHCTL_SANITIZE=1 builds with ASan+UBSan (what the test command uses).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
shift || true
sanitize=OFF
[[ "${MESHCTL_SANITIZE:-0}" == 1 ]] && sanitize=ON
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build" "${generator[@]}" -DMESHCTL_SANITIZE="$sanitize" "$@" >/dev/null
fi
cmake --build "$build" -j "$(nproc)"
