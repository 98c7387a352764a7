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
