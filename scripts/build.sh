#!/usr/bin/env bash
# Configures and builds meshctl. Usage: scripts/build.sh [BUILD_DIR] [extra cmake args...]
# MESHCTL_SANITIZE=1 builds with ASan+UBSan, MESHCTL_WERROR=1 makes warnings
# errors (the test command sets both; a user's build keeps warnings warnings).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
shift || true
sanitize=OFF
[[ "${MESHCTL_SANITIZE:-0}" == 1 ]] && sanitize=ON
werror=OFF
[[ "${MESHCTL_WERROR:-0}" == 1 ]] && werror=ON
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build" "${generator[@]}" -DMESHCTL_SANITIZE="$sanitize" -DMESHCTL_WERROR="$werror" "$@" >/dev/null
fi
cmake --build "$build" -j "$(nproc)"
