#!/usr/bin/env bash
# A CI job that needs a meshed set of clusters: join them, wait until every
# link is in sync, run the job, and always tear the mesh down at the end.
#
#   MESH_CONTEXTS="iad pdx fra" ./ci-pipeline.sh -- make integration-test
#
# meshctl's exit codes (0 ok, 3 links not in sync, 4 unreachable, 5
# misconfigured) make every step's failure visible to the CI system.
set -euo pipefail
: "${MESHCTL:=meshctl}"
read -r -a contexts <<<"${MESH_CONTEXTS:?set MESH_CONTEXTS to the kubeconfig contexts to mesh}"
join_flags=(${MESH_JOIN_FLAGS:-})

teardown() {
  local rc=$?
  "$MESHCTL" teardown "${contexts[@]}" || echo "ci-pipeline: teardown failed; run it again" >&2
  exit "$rc"
}
trap teardown EXIT

"$MESHCTL" join "${contexts[@]}" "${join_flags[@]}" --timeout "${MESH_TIMEOUT:-5m}"
"$MESHCTL" status "${contexts[@]}" --wait --timeout "${MESH_TIMEOUT:-5m}" -o json >mesh-status.json
echo "ci-pipeline: $(jq '[.links[] | select(.healthy)] | length' mesh-status.json) links healthy"

if [[ "${1:-}" == "--" ]]; then
  shift
  "$@"
fi
