# Idempotence: a second identical join writes nothing.
snapshot() { for c in "${CLUSTERS[@]}"; do managed_objects "$c"; done; }
before="$(snapshot)"
meshctl join iad pdx fra -o json "${JOIN_FLAGS[@]}"
expect_rc 0 "second join"
check "every object is reported unchanged" \
  test "$(jq '[.objects[] | select(.action != "unchanged")] | length' <<<"$MESH_OUT")" == 0
check "resourceVersions are equal before and after" test "$before" == "$(snapshot)"
check "all 6 links still in sync" test "$(jq '[.links[] | select(.state == "in-sync")] | length' <<<"$MESH_OUT")" == 6
