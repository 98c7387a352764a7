#!/usr/bin/env bash
# Redis HA across regions, the reason the clusters were meshed: the Service
# in front of Redis answers from every cluster, so clients in iad keep
# working when iad's Redis pods are gone.
#
#   MESH_CONTEXTS="iad pdx" ./redis-ha.sh            # federate, show, keep
#   MESH_CONTEXTS="iad pdx" ./redis-ha.sh --cleanup  # and remove it again
#
# Assumes the mesh is joined (meshctl join iad pdx) and Redis runs in every
# context behind a Service with named ports (e.g. port "redis" 6379), the same
# name and namespace everywhere: REDIS_SERVICE (testdb) in REDIS_NAMESPACE
# (redis).
set -euo pipefail
: "${MESHCTL:=meshctl}"
read -r -a contexts <<<"${MESH_CONTEXTS:?set MESH_CONTEXTS to the kubeconfig contexts of the mesh}"
service="${REDIS_SERVICE:-testdb}"
namespace="${REDIS_NAMESPACE:-redis}"

# 1. The mesh must be healthy first: a federated Service can only list the
#    endpoints of clusters whose links are in sync.
"$MESHCTL" status "${contexts[@]}" >/dev/null

# 2. Label the backing Service everywhere, create testdb-federated in every
#    context and wait until each lists the endpoints of every cluster with
#    ready Redis pods (exit 3 if one is still missing after --timeout).
"$MESHCTL" federate "$service" -n "$namespace" "${contexts[@]}" --timeout "${MESH_TIMEOUT:-2m}"

# 3. What clients use: <service>-federated.<namespace>.svc in any cluster.
"$MESHCTL" status "${contexts[@]}" --services
echo "redis-ha: clients connect to $service-federated.$namespace.svc:6379 in any of: ${contexts[*]}"

if [[ "${1:-}" == "--cleanup" ]]; then
  # 4. Removes the federated Services and meshctl's labels; Redis itself is untouched.
  "$MESHCTL" unfederate "$service" -n "$namespace" "${contexts[@]}"
fi
