#!/usr/bin/env bash
# Builds the libFuzzer targets (test/fuzz) with clang, ASan and UBSan, and runs
# each one for a while from a copy of its seed corpus (test/fuzz/corpus/<target>;
# the repository is never modified). Prints one line per target and exits
# non-zero when any target crashed, hung or ran out of memory; the inputs that
# did are kept under build-fuzz/artifacts/<target>/.
#
#   scripts/fuzz.sh                  every target, 20 s each
#   scripts/fuzz.sh 600              every target, 10 minutes each
#   scripts/fuzz.sh 60 kubeconfig    only fuzz_kubeconfig
#
# Reproduce a crash: build-fuzz/fuzz/fuzz_<target> build-fuzz/artifacts/<target>/crash-...
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
seconds="${1:-20}"
shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  targets=(kubeconfig typha_log prometheus api_error remote_kubeconfig base64)
fi
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/fuzz.sh [seconds-per-target] [target...]" >&2
  exit 2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/meshctl-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT

build="$root/build-fuzz"
if ! {
  if [[ ! -f "$build/CMakeCache.txt" ]]; then
    CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DMESHCTL_FUZZ=ON -DMESHCTL_TESTS=OFF -DMESHCTL_WERROR=ON
  fi
  cmake --build "$build" --target fuzzers -j "${MESHCTL_JOBS:-$(nproc)}"
} >"$work/build.log" 2>&1; then
  cat "$work/build.log" >&2
  echo "scripts/fuzz.sh: building the fuzzers failed" >&2
  exit 1
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=0
for target in "${targets[@]}"; do
  binary="$build/fuzz/fuzz_$target"
  seeds="$root/test/fuzz/corpus/$target"
  if [[ ! -x "$binary" || ! -d "$seeds" ]]; then
    echo "fuzz_$target: no such target (binary $binary, seeds $seeds)" >&2
    exit 2
  fi
  corpus="$work/corpus/$target"
  artifacts="$work/artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  cp -R "$seeds/." "$corpus/"
  dict=()
  [[ -f "$root/test/fuzz/$target.dict" ]] && dict=(-dict="$root/test/fuzz/$target.dict")
  log="$work/$target.log"
  rc=0
  "$binary" "$corpus" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1 || rc=$?
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  crashes="$(find "$artifacts" -type f | wc -l)"
  inputs="$(find "$corpus" -type f | wc -l)"
  if [[ $rc -ne 0 && $crashes -eq 0 ]]; then
    crashes=1  # failed without writing an input (e.g. a crash at start-up)
  fi
  echo "fuzz_$target: ${execs:-0} executions in ${seconds} s, $crashes crashes, corpus $inputs inputs"
  if [[ $crashes -ne 0 ]]; then
    failed=1
    kept="$build/artifacts/$target"
    mkdir -p "$kept"
    cp -R "$artifacts/." "$kept/" 2>/dev/null || true
    cp "$log" "$kept/fuzzer.log"
    echo "  inputs and log kept in $kept; last lines of the log:" >&2
    grep -v '^#\|^INFO:\|^stat::' "$log" | tail -n 25 | sed 's/^/  | /' >&2
  fi
done
exit "$failed"
