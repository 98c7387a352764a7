#!/usr/bin/env bash
# The README's first command: installs what is missing, builds meshctl, starts
# the local lab (three real control planes: iad, pdx, fra, with Typha
# stand-ins), meshes them with `meshctl join`, and prints the mesh status.
# The lab keeps running afterwards; `test/lab/lab down` stops it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
lab_dir="${MESHCTL_LAB_DIR:-/tmp/meshctl-lab}"

scripts/install-deps.sh
echo "demo: building meshctl" >&2
scripts/build.sh "$root/build"
echo "demo: building the lab's control-plane binaries (cached after the first run)" >&2
test/lab/build-binaries.sh >/dev/null
echo "demo: starting the lab in $lab_dir" >&2
kubeconfig="$(test/lab/lab up --clusters iad,pdx,fra --typha-replicas 2 --dir "$lab_dir" | tail -1)"
export KUBECONFIG="$kubeconfig"

echo "\$ meshctl join iad pdx fra --allow-loopback-servers" >&2
build/meshctl join iad pdx fra --allow-loopback-servers
echo >&2
echo "\$ meshctl status" >&2
build/meshctl status
cat >&2 <<MSG

The lab is still running. Try:
  export KUBECONFIG=$kubeconfig
  build/meshctl status -o json
  build/meshctl leave fra
  test/lab/lab down --dir $lab_dir
MSG
