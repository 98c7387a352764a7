# join, status and teardown run as a user holding only the permissions meshctl
# documents (a ClusterRole made here), not system:masters.
lp_config="$LAB_DIR/least-privilege.kubeconfig"
: >"$lp_config"
chmod 600 "$lp_config"
for c in "${CLUSTERS[@]}"; do
  kc "$c" apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: ServiceAccount
metadata: {name: meshctl-operator, namespace: default}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: meshctl-operator}
rules:
- apiGroups: [""]
  resources: [serviceaccounts, secrets]
  verbs: [get, list, create, patch, delete]
- apiGroups: [rbac.authorization.k8s.io]
  resources: [roles, rolebindings, clusterroles, clusterrolebindings]
  verbs: [get, list, create, patch, delete, bind, escalate]
- apiGroups: [projectcalico.org]
  resources: [remoteclusterconfigurations]
  verbs: [get, list, create, patch, delete]
- apiGroups: [""]
  resources: [namespaces]
  verbs: [get, list]
- apiGroups: [""]
  resources: [pods, pods/log]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: meshctl-operator}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: meshctl-operator}
subjects:
- {kind: ServiceAccount, name: meshctl-operator, namespace: default}
YAML
  token="$(kc "$c" create token meshctl-operator -n default --duration 1h)"
  echo "$token" >>"$LAB_DIR/secret-values"
  cluster="$(kubectl config view -o jsonpath="{.contexts[?(@.name==\"$c\")].context.cluster}")"
  server="$(kubectl config view -o jsonpath="{.clusters[?(@.name==\"$cluster\")].cluster.server}")"
  ca="$LAB_DIR/$c-ca.pem"
  kubectl config view --raw -o jsonpath="{.clusters[?(@.name==\"$cluster\")].cluster.certificate-authority-data}" | base64 -d >"$ca"
  KUBECONFIG="$lp_config" kubectl config set-cluster "lp-$c" --server "$server" --certificate-authority "$ca" >/dev/null
  KUBECONFIG="$lp_config" kubectl config set-credentials "lp-$c" --token "$token" >/dev/null
  KUBECONFIG="$lp_config" kubectl config set-context "lp-$c" --cluster "lp-$c" --user "lp-$c" >/dev/null
done

check "the least-privilege user is not an admin" bash -c \
  "! KUBECONFIG='$lp_config' kubectl --context lp-iad auth can-i '*' '*' | grep -qx yes"
meshctl join --print-required-permissions
expect_rc 0 "join --print-required-permissions"
check "the printed permissions name clusterroles and remoteclusterconfigurations" bash -c \
  "grep -q clusterroles <<<'$MESH_OUT' && grep -q remoteclusterconfigurations <<<'$MESH_OUT'"

KUBECONFIG="$lp_config" meshctl join iad=lp-iad pdx=lp-pdx fra=lp-fra "${JOIN_FLAGS[@]}"
expect_rc 0 "join as the least-privilege user"
harvest_secrets
KUBECONFIG="$lp_config" meshctl status iad=lp-iad pdx=lp-pdx fra=lp-fra
expect_rc 0 "status as the least-privilege user"
# Disabled routing writes IPPools, which this user may not touch: refused
# before any write, naming the permission (with Enabled, pools are optional).
before="$(managed_objects iad)"
KUBECONFIG="$lp_config" meshctl join iad=lp-iad pdx=lp-pdx --overlay-routing Disabled "${JOIN_FLAGS[@]}"
expect_rc 5 "--overlay-routing Disabled without rights on IPPools fails preflight"
check "the error names the IPPool permissions" grep -q 'iad: not allowed to list ippools.projectcalico.org.*create ippools' <<<"$MESH_ERR"
check "iad: nothing written" test "$before" == "$(managed_objects iad)"
# A teardown that asks on a terminal, where the API already refuses a delete
# in the preview (a server-side dry run): it shows the refusal and does not
# ask, since a yes would leave the mesh half torn down. It is answered "y" in
# case it asks anyway.
lp_can_delete_secrets() {  # can-i exits 1 when it says no
  [[ "$(KUBECONFIG="$lp_config" kubectl --context lp-iad auth can-i delete secrets -n calico-system)" == "$1" ]]
}
set_lp_secret_verbs() {
  kc iad patch clusterrole meshctl-operator --type=json -p="[{\"op\":\"replace\",\"path\":\"/rules/0/verbs\",\"value\":$1}]" >/dev/null
}
all_managed() { for c in "${CLUSTERS[@]}"; do managed_objects "$c"; done; }
set_lp_secret_verbs '["get","list","create","patch"]'
wait_for 30 "iad: the least-privilege user may no longer delete Secrets" lp_can_delete_secrets no
before="$(all_managed)"
set +e
echo y | NO_COLOR=1 KUBECONFIG="$lp_config" script -qec "'$MESHCTL' teardown" /dev/null >"$ARTIFACTS/teardown-refused.out" 2>&1
rc=$?
set -e
check "teardown on a terminal, a delete refused in the preview: exit 1 (got $rc)" test "$rc" == 1
check "it did not ask" bash -c "! grep -q 'Delete these' '$ARTIFACTS/teardown-refused.out'"
check "it shows the refused delete" grep -q 'Secret.*failed' "$ARTIFACTS/teardown-refused.out"
check "nothing was deleted anywhere" test "$before" == "$(all_managed)"
set_lp_secret_verbs '["get","list","create","patch","delete"]'
wait_for 30 "iad: the least-privilege user may delete Secrets again" lp_can_delete_secrets yes

KUBECONFIG="$lp_config" meshctl teardown iad=lp-iad pdx=lp-pdx fra=lp-fra
expect_rc 0 "teardown as the least-privilege user"
for c in "${CLUSTERS[@]}"; do check "$c: zero meshctl objects" test "$(count_managed "$c")" == 0; done

# Without the right to create ClusterRoles, preflight refuses before any write.
kc pdx patch clusterrole meshctl-operator --type=json \
  -p='[{"op":"replace","path":"/rules/1/resources","value":["roles","rolebindings","clusterrolebindings"]}]' >/dev/null
KUBECONFIG="$lp_config" meshctl join iad=lp-iad pdx=lp-pdx "${JOIN_FLAGS[@]}"
expect_rc 5 "a user who may not create ClusterRoles fails preflight"
check "the error names pdx and clusterroles" grep -q 'pdx.*clusterroles' <<<"$MESH_ERR"
for c in iad pdx; do check "$c: nothing written" test "$(count_managed "$c")" == 0; done
for c in "${CLUSTERS[@]}"; do
  kc "$c" delete clusterrolebinding,clusterrole meshctl-operator >/dev/null
  kc "$c" delete sa -n default meshctl-operator >/dev/null
done
