# The examples in examples/ run as written against the lab, so they never rot.
# The CI pipeline example runs the binary the .deb installed (MESHCTL_PACKAGED,
# set by scripts/test.sh), as a user's pipeline would.
packaged="${MESHCTL_PACKAGED:-$MESHCTL}"
examples="$REPO_ROOT/examples"
work="$(mktemp -d)"
set +e
(cd "$work" && MESHCTL="$packaged" MESH_CONTEXTS="iad pdx fra" MESH_JOIN_FLAGS="--allow-loopback-servers" \
  MESH_TIMEOUT=90s "$examples/ci-pipeline.sh" -- bash -c 'jq -e "[.links[] | select(.healthy)] | length == 6" mesh-status.json') \
  >"$ARTIFACTS/example-ci.out" 2>"$ARTIFACTS/example-ci.err"
rc=$?
set -e
check "examples/ci-pipeline.sh with $packaged joins, sees 6 healthy links, runs the job (exit $rc)" test "$rc" == 0
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

# teardown without contexts deletes in every context: a script must say --yes,
# a person confirms on a terminal (script(1) gives meshctl a pty).
before="$(count_managed iad)"
meshctl teardown
expect_rc 2 "teardown without contexts and without --yes, stdin not a terminal"
check "the refusal is one line naming --yes" test "$(echo "$MESH_ERR" | grep -c .)" == 1 -a -n "$(echo "$MESH_ERR" | grep -- --yes)"
check "nothing deleted without --yes" test "$(count_managed iad)" == "$before"
set +e
echo n | NO_COLOR=1 script -qec "'$MESHCTL' teardown" /dev/null >"$ARTIFACTS/teardown-declined.out" 2>&1
rc=$?
set -e
check "teardown on a terminal, answered n: exit 1 (got $rc)" test "$rc" == 1
check "the prompt listed the objects and asked" grep -q "Delete these [0-9]* objects" "$ARTIFACTS/teardown-declined.out"
check "nothing deleted when declined" test "$(count_managed iad)" == "$before"
meshctl teardown --yes
expect_rc 0 "final teardown --yes"
for c in "${CLUSTERS[@]}"; do check "$c: no meshctl object after teardown --yes" test "$(count_managed "$c")" == 0; done
