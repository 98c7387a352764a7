# --dry-run shows the plan through the API's own dry run and writes nothing.
snapshot() { for c in "${CLUSTERS[@]}"; do managed_objects "$c"; done; }
before="$(snapshot)"
meshctl join iad pdx fra --dry-run -o json "${JOIN_FLAGS[@]}"
expect_rc 0 "dry run succeeds"
check "dry run plans objects in all three clusters" \
  test "$(jq '[.objects[].cluster] | unique | length' <<<"$MESH_OUT")" == 3
check "dry run plans 6 federation (incl. the v3 ClusterRole and binding) + 4 per link objects (3 clusters: 42)" \
  test "$(jq '.objects | length' <<<"$MESH_OUT")" == 42
check "every planned object is a create" test "$(jq '[.objects[] | select(.action != "create")] | length' <<<"$MESH_OUT")" == 0
check "nothing changed in any cluster" test "$before" == "$(snapshot)"

# --dry-run=client: the same objects from the kubeconfig alone, without one
# request to any API server (audit logs).
source "$REPO_ROOT/test/e2e/lib_faults.sh"
server_plan="$(jq -r '.objects[] | "\(.cluster) \(.kind) \(.namespace) \(.name)"' <<<"$MESH_OUT" | sort)"
declare -A mark
for c in "${CLUSTERS[@]}"; do mark[$c]=$(audit_mark "$c"); done
meshctl join iad pdx fra --dry-run=client -o json "${JOIN_FLAGS[@]}"
expect_rc 0 "client dry run"
client_plan="$(jq -r '.clusters[] | .name as $c | .objects[] |
  "\($c) \(.kind) \(.metadata.namespace // "") \(.metadata.name)"' <<<"$MESH_OUT" | sort)"
check "client dry run plans 42 objects" test "$(grep -c . <<<"$client_plan")" == 42
check "client dry run plans the same objects as the server dry run" test "$client_plan" == "$server_plan"
meshctl_requests_since() {
  tail -n +"$(($2 + 1))" "$LAB_DIR/clusters/$1/audit.log" | jq -cR 'fromjson? // empty' |
    jq -s '[.[] | select(.userAgent // "" | startswith("meshctl/"))] | length'
}
for c in "${CLUSTERS[@]}"; do
  check "$c: the client dry run sent no request (audit log)" test "$(meshctl_requests_since "$c" "${mark[$c]}")" == 0
done
meshctl rotate iad --dry-run=client
expect_rc 2 "rotate --dry-run=client is refused: rotate cannot plan without reading the clusters"
check "nothing changed in any cluster" test "$before" == "$(snapshot)"
