#!/usr/bin/env bash
# The benchmark command (README "Benchmarks"): builds meshctl (release) and the
# lab, then compares meshctl with the kubectl procedure for N = 2, 3, 4, 6.
#   test/bench/run.sh [--sizes 2,3,4,6] [--reps 3] [--latency iad=0ms,pdx=35ms,fra=45ms]
# --latency (one-way delay per apiserver; a bare value applies to every cluster
# not named) is passed to `lab up --latency` through bench.py.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
"$root/scripts/install-deps.sh"
python3 -c 'import matplotlib' 2>/dev/null || python3 -m pip install --quiet matplotlib >&2 || true
"$root/scripts/build.sh" "$root/build"
"$root/test/lab/build-binaries.sh" >/dev/null
exec python3 "$root/test/bench/bench.py" "$@"
