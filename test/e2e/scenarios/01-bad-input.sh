# Refusals before anything is written: every case of the bad-input corpus
# (test/bad-input/, listed in docs/bad-input.md) gives one clear line, its
# documented exit code, and writes nothing anywhere. Runs first, on the fresh
# lab; leaves the lab as it found it (cases undo what they break).
# shellcheck source=../../bad-input/run.sh
source "$REPO_ROOT/test/bad-input/run.sh"
run_corpus

# The same missing CRD met by status and teardown, which print a report on
# stdout: the cluster is named as not read (not "unreachable"), with the fix,
# and the exit code is the precondition's, as join's.
kc fra get crd remoteclusterconfigurations.projectcalico.org -o json |
  jq 'del(.metadata.resourceVersion, .metadata.uid, .metadata.creationTimestamp, .metadata.generation,
          .metadata.managedFields, .status)' >"$LAB_DIR/rcc-crd.json"
kc fra delete crd remoteclusterconfigurations.projectcalico.org --wait=true >/dev/null
meshctl status iad fra
expect_rc 5 "status with fra not serving the RemoteClusterConfiguration API"
check "status names fra as not read, with the fix" grep -q \
  'cluster fra (fra) could not be read: fra: the RemoteClusterConfiguration API .* is not served (hint: install Calico Enterprise' \
  <<<"$MESH_OUT"
meshctl teardown iad fra
expect_rc 5 "teardown with fra not serving the RemoteClusterConfiguration API"
check "teardown names fra as not cleaned, with the fix" grep -q \
  'not cleaned: fra: the RemoteClusterConfiguration API .* is not served (hint: install Calico Enterprise' \
  <<<"$MESH_OUT"
kc fra create -f "$LAB_DIR/rcc-crd.json" >/dev/null
kc fra wait --for=condition=Established crd/remoteclusterconfigurations.projectcalico.org --timeout=60s >/dev/null
