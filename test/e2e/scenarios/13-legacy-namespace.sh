# Older Enterprise manifests made the federation ServiceAccount in kube-system:
# join reuses it (and says so), puts the token Secret beside it, and teardown
# leaves the ServiceAccount it did not make.
for c in iad pdx; do kc "$c" create serviceaccount -n kube-system tigera-federation-remote-cluster >/dev/null; done
meshctl join iad pdx "${JOIN_FLAGS[@]}"
expect_rc 0 "join with legacy ServiceAccounts in kube-system"
check "join says it reuses the kube-system ServiceAccount" grep -q 'existing ServiceAccount kube-system/tigera-federation-remote-cluster' <<<"$MESH_ERR"
harvest_secrets
for c in iad pdx; do
  check "$c: the token Secret is in kube-system and filled" bash -c \
    "kubectl --context $c get secret -n kube-system tigera-federation-remote-cluster -o jsonpath='{.data.token}' | grep -q ."
  check "$c: the ClusterRoleBinding binds the kube-system ServiceAccount" bash -c \
    "kubectl --context $c get clusterrolebinding tigera-federation-remote-cluster -o jsonpath='{.subjects[0].namespace}' | grep -qx kube-system"
  check "$c: no federation ServiceAccount was made in calico-system" bash -c \
    "! kubectl --context $c get sa -n calico-system tigera-federation-remote-cluster 2>/dev/null"
done
meshctl status iad pdx
expect_rc 0 "status of the legacy-namespace mesh"
meshctl teardown iad pdx
expect_rc 0 "teardown"
for c in iad pdx; do
  check "$c: zero meshctl objects" test "$(count_managed "$c")" == 0
  check "$c: the ServiceAccount meshctl did not make is kept" kc "$c" get sa -n kube-system tigera-federation-remote-cluster
  kc "$c" delete serviceaccount -n kube-system tigera-federation-remote-cluster >/dev/null
done
