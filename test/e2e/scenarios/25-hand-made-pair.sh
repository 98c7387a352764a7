# Ownership that tells the truth (issue 12, part 1): the documented procedure
# done by hand for the pair iad <- pdx (kubectl only), then meshctl join over
# it and a third cluster, then meshctl teardown. What the procedure made under
# the names meshctl uses too (pdx's federation ServiceAccount, token Secret,
# ClusterRole and binding) is taken over and recorded by join, and released,
# not deleted, by teardown: the hand-made link stays in sync. Leaves the full
# mesh joined (and the hand-made objects removed).
source "$REPO_ROOT/test/e2e/lib_faults.sh"

FED=tigera-federation-remote-cluster
meshctl teardown iad pdx fra
expect_rc 0 "start from an empty mesh"

# The documented procedure's token Secret. The token controller may fill it
# for the ServiceAccount the teardown above just deleted (its cache still
# holds the old UID; seen in CI after the apiserver-kill scenarios). That
# token never works, and a person following the docs would delete the Secret
# and create it again: hand_token_current below does so.
hand_token_secret() {
  kc pdx apply -f - >/dev/null <<SECRET
apiVersion: v1
kind: Secret
type: kubernetes.io/service-account-token
metadata:
  name: $FED
  namespace: calico-system
  annotations: {kubernetes.io/service-account.name: $FED}
SECRET
}
echo "-- the documented procedure, by hand, for iad <- pdx"
kc pdx apply -f - >/dev/null <<YAML
apiVersion: v1
kind: ServiceAccount
metadata: {name: $FED, namespace: calico-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: $FED}
rules:
  - apiGroups: [""]
    resources: [namespaces, serviceaccounts, services, endpoints, pods, nodes]
    verbs: [get, list, watch]
  - apiGroups: [crd.projectcalico.org]
    resources: [hostendpoints, ipamblocks, ippools]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: $FED}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: $FED}
subjects: [{kind: ServiceAccount, name: $FED, namespace: calico-system}]
YAML
hand_token_secret
hand_token_current() {
  local sa_uid secret_uid token
  sa_uid=$(kc pdx get serviceaccount -n calico-system "$FED" -o jsonpath='{.metadata.uid}')
  secret_uid=$(kc pdx get secret -n calico-system "$FED" \
    -o jsonpath='{.metadata.annotations.kubernetes\.io/service-account\.uid}')
  token=$(kc pdx get secret -n calico-system "$FED" -o jsonpath='{.data.token}')
  [[ -n "$token" && -n "$sa_uid" && "$secret_uid" == "$sa_uid" ]] && return 0
  if [[ -n "$token" && -n "$secret_uid" && "$secret_uid" != "$sa_uid" ]]; then
    kc pdx delete secret -n calico-system "$FED" --wait >/dev/null
    hand_token_secret
  fi
  return 1
}
wait_for 90 "pdx's token controller fills the hand-made token Secret for the current ServiceAccount" hand_token_current
hand_kubeconfig="$LAB_DIR/hand-made-pdx.kubeconfig"
hand_token="$LAB_DIR/hand-made-pdx.token"
(
  umask 077
  server=$(kubectl config view --raw -o json |
    jq -r '(.contexts[] | select(.name == "pdx") | .context.cluster) as $c | .clusters[] | select(.name == $c) | .cluster.server')
  token=$(kc pdx get secret -n calico-system "$FED" -o jsonpath='{.data.token}' | base64 -d)
  printf '%s' "$token" >"$hand_token"
  ca=$(kc pdx get secret -n calico-system "$FED" -o jsonpath='{.data.ca\.crt}')
  cat >"$hand_kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters: [{name: pdx, cluster: {server: "$server", certificate-authority-data: "$ca"}}]
users: [{name: $FED, user: {token: "$token"}}]
contexts: [{name: $FED-ctx, context: {cluster: pdx, user: $FED}}]
current-context: $FED-ctx
KC
)
kc iad create secret generic pdx-secret -n calico-system --from-literal=datastoreType=kubernetes \
  --from-file=kubeconfig="$hand_kubeconfig" >/dev/null
kc iad create role remote-cluster-secret-access -n calico-system --verb=get,list,watch --resource=secrets >/dev/null
kc iad create rolebinding remote-cluster-secret-access -n calico-system --role=remote-cluster-secret-access \
  --serviceaccount=calico-system:calico-typha >/dev/null
kc iad apply -f - >/dev/null <<'YAML'
apiVersion: projectcalico.org/v3
kind: RemoteClusterConfiguration
metadata: {name: pdx-by-hand}
spec:
  clusterAccessSecret: {name: pdx-secret, namespace: calico-system, kind: Secret}
  syncOptions: {overlayRoutingMode: Enabled}
YAML
hand_synced() {
  local pod
  for pod in $(kc iad get pods -n calico-system -l 'k8s-app in (calico-typha,calico-typha-noncluster-host)' -o name); do
    kc iad logs -n calico-system "$pod" --tail=-1 |
      awk '/RemoteClusterConfiguration\(pdx-by-hand\)/ {last = $0} END {exit !(last ~ /Sending in-sync update/)}' ||
      return 1
  done
}
wait_for 60 "the hand-made link iad <- pdx-by-hand is in sync in every iad Typha replica" hand_synced
check "the hand-made stored kubeconfig reads pdx's pods" kubectl --kubeconfig "$hand_kubeconfig" get pods -A

echo "-- meshctl join over it, with a third cluster"
meshctl join iad pdx fra -o json "${JOIN_FLAGS[@]}"
expect_rc 0 "join over the hand-made pair"
jqc "join took over exactly pdx's four federation objects" \
  '[.objects[] | select(.action == "adopt") | "\(.cluster)/\(.kind)/\(.name)"] | sort ==
   ["pdx/ClusterRole/tigera-federation-remote-cluster", "pdx/ClusterRoleBinding/tigera-federation-remote-cluster",
    "pdx/Secret/tigera-federation-remote-cluster", "pdx/ServiceAccount/tigera-federation-remote-cluster"]'
harvest_secrets  # the hand-made token too: meshctl must never print it
check "join said so on stderr" grep -q "ServiceAccount calico-system/$FED existed without meshctl's label; join took it over" <<<"$MESH_ERR"
for kind in serviceaccount secret; do
  check "pdx's $kind $FED records the takeover (annotation)" bash -c \
    "kubectl --context pdx get $kind -n calico-system $FED -o json | jq -e '.metadata.annotations[\"meshctl.projectcalico.org/adopted\"]'"
done
check "pdx's hand-made token was reused, not replaced" bash -c \
  "cmp -s <(kubectl --context pdx get secret -n calico-system $FED -o jsonpath='{.data.token}' | base64 -d) '$hand_token'"
meshctl join iad pdx fra -o json "${JOIN_FLAGS[@]}"
expect_rc 0 "a second join"
jqc "the second join takes nothing over again and writes nothing" '[.objects[] | select(.action != "unchanged")] | length == 0'
check "the takeover record survives meshctl's own applies" bash -c \
  "kubectl --context pdx get clusterrole $FED -o json | jq -e '.metadata.annotations[\"meshctl.projectcalico.org/adopted\"]'"

echo "-- teardown releases what it took over"
meshctl teardown iad pdx fra --dry-run --include-adopted -o json
expect_rc 0 "teardown --dry-run --include-adopted"
jqc "with --include-adopted the taken-over objects would be deleted" \
  '[.objects[] | select(.cluster == "pdx" and .name == "tigera-federation-remote-cluster" and .action == "would-delete")] | length == 4'
meshctl teardown iad pdx fra -o json
expect_rc 0 "teardown"
jqc "the four taken-over objects are released, not deleted" \
  '[.objects[] | select(.cluster == "pdx" and .name == "tigera-federation-remote-cluster") | .action] == ["released", "released", "released", "released"]'
jqc "the hand-made RCC is kept" '[.objects[] | select(.name == "pdx-by-hand") | .action] == ["kept-unmanaged"]'
for obj in serviceaccount/$FED secret/$FED; do
  check "pdx's $obj remains, without meshctl's labels" bash -c \
    "kubectl --context pdx get -n calico-system $obj -o json |
       jq -e '(.metadata.labels // {} | has(\"app.kubernetes.io/managed-by\") | not) and
              (.metadata.annotations // {} | has(\"meshctl.projectcalico.org/adopted\") | not)'"
done
for obj in clusterrole/$FED clusterrolebinding/$FED; do
  check "pdx's $obj remains" kubectl --context pdx get "$obj"
done
check "iad's hand-made Secret, Role, RoleBinding and RCC remain" bash -c \
  "kubectl --context iad get -n calico-system secret/pdx-secret role/remote-cluster-secret-access rolebinding/remote-cluster-secret-access &&
   kubectl --context iad get remoteclusterconfigurations.projectcalico.org pdx-by-hand"
check "no meshctl object is left anywhere" bash -c \
  "for c in iad pdx fra; do [[ -z \$(kubectl --context \$c get serviceaccounts,secrets,roles,rolebindings -A -l app.kubernetes.io/managed-by=meshctl -o name) ]] || exit 1; done"
check "the hand-made stored credential still works against pdx" kubectl --kubeconfig "$hand_kubeconfig" get pods -A
sleep 3  # Typha acts on the deleted RCCs at once; give a lost link time to show
check "the hand-made link is still in sync in every iad Typha replica" hand_synced
meshctl status iad pdx fra -o json --no-credential-check
jqc "status shows the hand-made link in sync" \
  '[.links[] | select(.local == "iad" and .remote == "pdx-by-hand") | .state] == ["in-sync"]'

echo "-- clean up the hand-made pair"
kc iad delete remoteclusterconfigurations.projectcalico.org pdx-by-hand >/dev/null
kc iad delete -n calico-system secret/pdx-secret role/remote-cluster-secret-access \
  rolebinding/remote-cluster-secret-access >/dev/null
kc pdx delete -n calico-system secret/$FED serviceaccount/$FED >/dev/null
kc pdx delete clusterrolebinding/$FED clusterrole/$FED >/dev/null
rm -f "$hand_kubeconfig" "$hand_token"
mesh_converges "after the hand-made pair is gone"
harvest_secrets
