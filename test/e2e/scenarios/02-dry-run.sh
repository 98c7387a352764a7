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
