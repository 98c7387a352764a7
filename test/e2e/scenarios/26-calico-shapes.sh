# Calico shapes beyond the main lab's (issue 11, first part), in a second lab:
# sea serves projectcalico.org/v3 only (native v3 CRDs, Enterprise 3.24), ord
# serves it through the aggregated Calico API server (3.23) with the old
# server-side-apply bug (500 "no serializer defined for application/yaml").
# join writes ord's RCC with create/update instead, and grants the v3 group
# that ord's Typha reads sea in; without that grant the link is forbidden.
# The second lab is taken down at the end.
mixed_dir="$LAB_DIR/mixed"
mixed_kubeconfig=""
if ! mixed_kubeconfig="$("$LAB" up --clusters sea,ord --calico-api sea=v3crd,ord=apiserver \
  --calico-apply-bug=ord --calico-version sea=3.24,ord=3.23 --typha-loss-delay 15s \
  --typha-secret-watch-timeout 5s --typha-watch-timeout 20s --dir "$mixed_dir" 2>"$ARTIFACTS/mixed-lab-up.log" | tail -1)"; then
  fail "the mixed lab (sea v3crd, ord apiserver) did not start; see mixed-lab-up.log"
  "$LAB" down --dir "$mixed_dir" >/dev/null 2>&1 || true
  return 0
fi
mk() { KUBECONFIG="$mixed_kubeconfig" kubectl --context "$1" "${@:2}"; }
mixed_meshctl() { KUBECONFIG="$mixed_kubeconfig" meshctl "$@"; }

check "sea serves no crd.projectcalico.org group" bash -c \
  "! KUBECONFIG='$mixed_kubeconfig' kubectl --context sea api-versions | grep -q '^crd.projectcalico.org/'"

mixed_meshctl join sea ord -o json --allow-loopback-servers --timeout 90s
expect_rc 0 "join of a native-v3 cluster and an API-server cluster with the apply bug"
jqc "both links verified in sync" '[.links[] | select(.verified and .state == "in-sync")] | length == 2'
check "ord's API server refused meshctl's server-side apply of the RCC (500), and the RCC was created instead" \
  jq -se '([.[] | select(.objectRef.resource == "remoteclusterconfigurations" and .objectRef.apiGroup == "projectcalico.org"
            and .verb == "patch" and .responseStatus.code == 500 and .stage == "ResponseComplete")] | length >= 1)
          and ([.[] | select(.objectRef.resource == "remoteclusterconfigurations" and .objectRef.apiGroup == "projectcalico.org"
            and .verb == "create" and .responseStatus.code == 201 and .stage == "ResponseComplete")] | length >= 1)' \
  "$mixed_dir/clusters/ord/audit.log"
check "ord's RCC for sea is labelled and routes as join wrote it" bash -c \
  "KUBECONFIG='$mixed_kubeconfig' kubectl --context ord get remoteclusterconfigurations.projectcalico.org sea -o json |
     jq -e '.metadata.labels[\"app.kubernetes.io/managed-by\"] == \"meshctl\" and .spec.clusterAccessSecret.name == \"remote-cluster-sea\"'"
mixed_meshctl status sea ord -o json
expect_rc 0 "status of the mixed mesh"
jqc "the stored credential for sea was probed in the group sea serves" \
  '[.links[] | select(.local == "ord" and .remote == "sea") | .credential.result] == ["ok"]'
mixed_meshctl join sea ord -o json --allow-loopback-servers --timeout 60s
expect_rc 0 "a second join"
jqc "the second join writes nothing (no apply, no fallback)" '[.objects[] | select(.action != "unchanged")] | length == 0'

echo "-- without the v3 grant a 3.23+ Typha cannot read a native-v3 remote"
mk sea delete clusterrolebinding tigera-federation-remote-cluster-v3 >/dev/null
mk ord rollout restart deployment/calico-typha -n calico-system >/dev/null
wait_for 60 "ord's Typha reports sea's ippools.projectcalico.org forbidden" bash -c \
  "KUBECONFIG='$mixed_kubeconfig' kubectl --context ord logs -n calico-system -l k8s-app=calico-typha --tail=-1 |
     grep 'Sending connection failed update for RemoteClusterConfiguration(sea)' | grep -q 'projectcalico.org.*forbidden\|forbidden.*projectcalico.org'"
mixed_meshctl status sea ord -o json
expect_rc 5 "status with the v3 grant removed"
jqc "ord <- sea: connection failed, and the stored credential may not list ippools.projectcalico.org" \
  '[.links[] | select(.local == "ord" and .remote == "sea") |
    select(.state == "connection-failed" and .credential.result == "forbidden" and (.credential.detail | contains("ippools.projectcalico.org")))] | length == 1'
mixed_meshctl join sea ord -o json --allow-loopback-servers --timeout 90s
expect_rc 0 "join restores the grant and ord's Typha syncs sea"
jqc "join re-created exactly the v3 binding in sea" \
  '[.objects[] | select(.action != "unchanged") | "\(.cluster)/\(.kind)/\(.name)"] == ["sea/ClusterRoleBinding/tigera-federation-remote-cluster-v3"]'

(
  export KUBECONFIG="$mixed_kubeconfig"
  CLUSTERS=(sea ord)
  harvest_secrets
)
"$LAB" down --dir "$mixed_dir" >/dev/null 2>&1 || true
