# teardown: nothing of meshctl's remains anywhere; a second run is a no-op;
# --force cleans what it can reach and reports the rest.
"$LAB" stop-apiserver --cluster fra --dir "$LAB_DIR" >/dev/null
meshctl teardown iad pdx fra
expect_rc 4 "teardown refuses while fra is unreachable"
check "nothing was deleted in iad" test "$(count_managed iad)" -gt 0

meshctl teardown iad pdx fra --force
expect_rc 4 "teardown --force cleans the reachable clusters and reports fra"
check "the report names fra as not cleaned" grep -q 'fra' <<<"$MESH_OUT"
check "iad is clean" test "$(count_managed iad)" == 0
check "pdx is clean" test "$(count_managed pdx)" == 0
"$LAB" start-apiserver --cluster fra --dir "$LAB_DIR" >/dev/null

meshctl teardown iad pdx fra
expect_rc 0 "teardown finishes fra once it is back"
for c in "${CLUSTERS[@]}"; do check "$c: zero meshctl objects" test "$(count_managed "$c")" == 0; done
meshctl teardown iad pdx fra
expect_rc 0 "a second teardown is a no-op"
check "the no-op says nothing to delete" grep -q 'nothing to delete' <<<"$MESH_OUT"
