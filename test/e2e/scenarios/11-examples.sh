# The examples in examples/ run as written against the lab, so they never rot.
examples="$REPO_ROOT/examples"
work="$(mktemp -d)"
set +e
(cd "$work" && MESHCTL="$MESHCTL" MESH_CONTEXTS="iad pdx fra" MESH_JOIN_FLAGS="--allow-loopback-servers" \
  MESH_TIMEOUT=90s "$examples/ci-pipeline.sh" -- bash -c 'jq -e "[.links[] | select(.healthy)] | length == 6" mesh-status.json') \
  >"$ARTIFACTS/example-ci.out" 2>"$ARTIFACTS/example-ci.err"
rc=$?
set -e
check "examples/ci-pipeline.sh joins, sees 6 healthy links, runs the job (exit $rc)" test "$rc" == 0
for c in "${CLUSTERS[@]}"; do check "ci-pipeline.sh tore the mesh down in $c" test "$(count_managed "$c")" == 0; done

meshctl join iad pdx fra "${JOIN_FLAGS[@]}"
expect_rc 0 "mesh for the decommission example"
harvest_secrets
set +e
MESHCTL="$MESHCTL" "$examples/decommission.sh" fra >"$ARTIFACTS/example-decommission.out" 2>"$ARTIFACTS/example-decommission.err"
rc=$?
set -e
check "examples/decommission.sh fra succeeds (exit $rc)" test "$rc" == 0
check "fra holds no meshctl object afterwards" test "$(count_managed fra)" == 0
meshctl teardown
expect_rc 0 "final teardown"
