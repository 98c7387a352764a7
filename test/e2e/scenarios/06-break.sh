# Break the mesh in each way it breaks in production; status must name each
# one and exit non-zero; a re-run of join must mend it.
status_json() { NO_COLOR=1 "$MESHCTL" status iad pdx fra -o json 2>/dev/null || true; }
link_field() { jq -r --arg l "$1" --arg r "$2" ".links[] | select(.local==\$l and .remote==\$r) | $3"; }
mend() {
  meshctl join iad pdx fra "${JOIN_FLAGS[@]}"
  expect_rc 0 "join mends the mesh after: $1"
  meshctl status --wait --timeout 60s
  expect_rc 0 "status healthy again after: $1"
}

# 1. The Role that lets Typha in iad read pdx's Secret is deleted.
kc iad delete role -n calico-system remote-cluster-secret-access-pdx >/dev/null
meshctl status iad pdx fra -o json
expect_rc 5 "Role deleted in iad: misconfiguration"
jqc "iad <- pdx names the missing Role" '.links[] | select(.local=="iad" and .remote=="pdx") | .objects[] | select(.kind=="Role" and .present==false)'
wait_for 30 "Typha in iad reports the forbidden Secret for pdx" bash -c \
  "kubectl --context iad logs -n calico-system -l k8s-app=calico-typha --tail=200 | grep -qi 'forbidden'"
mend "Role deleted"

# 2. pdx's federation token Secret is deleted: the token its peers hold dies.
kc pdx delete secret -n calico-system tigera-federation-remote-cluster >/dev/null
wait_for 40 "status reports iad <- pdx connection-failed with Typha's words" bash -c \
  "$(declare -f status_json link_field); status_json | link_field iad pdx .state | grep -qx connection-failed"
meshctl status iad pdx fra -o json
check "status exits non-zero while pdx's token is dead (exit $MESH_RC)" test "$MESH_RC" != 0
jqc "the stored credential is reported unauthorized" '.links[] | select(.local=="fra" and .remote=="pdx") | .credential.result=="unauthorized"'
mend "token Secret deleted"
harvest_secrets

# 3. datastoreType removed from the Secret in iad for fra.
kc iad patch secret -n calico-system remote-cluster-fra --type=json -p='[{"op":"remove","path":"/data/datastoreType"}]' >/dev/null
meshctl status iad pdx fra -o json
expect_rc 5 "datastoreType removed: misconfiguration"
jqc "iad <- fra names the Secret's datastoreType" '.links[] | select(.local=="iad" and .remote=="fra") | .objects[] | select(.kind=="Secret") | .problem | test("datastoreType")'
wait_for 40 "Typha in iad reports config-incomplete for fra" bash -c \
  "$(declare -f status_json link_field); status_json | link_field iad fra .state | grep -qx config-incomplete"
mend "datastoreType removed"

# 4. pdx's API server is down.
"$LAB" stop-apiserver --cluster pdx --dir "$LAB_DIR" >/dev/null
meshctl status iad pdx fra -o json
expect_rc 4 "pdx unreachable"
jqc "pdx is reported unreachable" '.clusters[] | select(.name=="pdx") | .reachable==false'
wait_for 40 "iad <- pdx becomes connection-failed" bash -c \
  "$(declare -f status_json link_field); status_json | link_field iad pdx .state | grep -qx connection-failed"
wait_for 40 "fra <- pdx becomes connection-failed" bash -c \
  "$(declare -f status_json link_field); status_json | link_field fra pdx .state | grep -qx connection-failed"
"$LAB" start-apiserver --cluster pdx --dir "$LAB_DIR" >/dev/null
# Typha reports in-sync once per syncer and never takes a failure back: the
# links to pdx stay failed in iad's and fra's Typha until it restarts.
meshctl status iad pdx fra -o json
expect_rc 6 "pdx is back: only failures Typha never takes back (stale)"
jqc "iad <- pdx and fra <- pdx are stale failures" '[.links[] | select(.remote=="pdx") | .state] | unique == ["stale-failure"]'
meshctl join iad pdx fra "${JOIN_FLAGS[@]}" --restart-stale-typha
expect_rc 0 "join --restart-stale-typha re-verifies the links to pdx"
meshctl status --wait --timeout 90s
expect_rc 0 "mesh heals when pdx is back"

# 5. iad's Typha is stopped: its old log lines must not vouch for anything.
"$LAB" stop-typha --cluster iad --dir "$LAB_DIR" >/dev/null
meshctl status iad pdx fra -o json
check "status is non-zero with iad's Typha stopped (exit $MESH_RC)" test "$MESH_RC" != 0
jqc "no link of iad is reported in sync" '[.links[] | select(.local=="iad" and .state=="in-sync")] | length == 0'
"$LAB" start-typha --cluster iad --dir "$LAB_DIR" >/dev/null
meshctl status --wait --timeout 60s
expect_rc 0 "mesh heals when iad's Typha is back"

# 6. A hand-made RCC pointing at a Secret that does not exist.
kc iad apply -f - >/dev/null <<'YAML'
apiVersion: projectcalico.org/v3
kind: RemoteClusterConfiguration
metadata:
  name: ghost
spec:
  clusterAccessSecret: {kind: Secret, name: ghost-secret, namespace: calico-system}
YAML
meshctl status iad pdx fra -o json
expect_rc 5 "hand-made RCC with a missing Secret"
jqc "the hand-made link is listed as unmanaged with its Secret missing" '.links[] | select(.local=="iad" and .remote=="ghost") | .managed==false and (.objects[] | select(.kind=="Secret") | .present==false)'
kc iad delete remoteclusterconfigurations.projectcalico.org ghost >/dev/null
meshctl status
expect_rc 0 "healthy again without the hand-made RCC"
