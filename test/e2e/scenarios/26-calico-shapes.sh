# Calico shapes beyond the main lab's (issue 11), in a second lab: sea serves
# projectcalico.org/v3 only (native v3 CRDs, Enterprise 3.24), ord serves it
# through the aggregated Calico API server (3.23) with the old
# server-side-apply bug (500 "no serializer defined for application/yaml"),
# den is mid-migration to the native CRDs (3.23), yul is a 3.22 API-server
# cluster without a licence. join refuses what cannot work before any write
# (a migration unless --force, the licence, a 3.22 reader of a native-v3
# remote), writes ord's RCC with create/update instead, and grants the v3
# group that ord's Typha reads sea in; without that grant the link is
# forbidden. The second lab is taken down at the end.
mixed_dir="$LAB_DIR/mixed"
mixed_kubeconfig=""
if ! mixed_kubeconfig="$("$LAB" up --clusters sea,ord,den,yul --calico-api sea=v3crd,ord=apiserver,den=migrating,yul=apiserver \
  --calico-apply-bug=ord --calico-version sea=3.24,ord=3.23,den=3.23,yul=3.22 --license yul=missing \
  --migration-phase Migrating --typha-loss-delay 15s \
  --typha-secret-watch-timeout 5s --typha-watch-timeout 20s --dir "$mixed_dir" 2>"$ARTIFACTS/mixed-lab-up.log" | tail -1)"; then
  fail "the mixed lab (sea v3crd, ord apiserver, den migrating, yul 3.22) did not start; see mixed-lab-up.log"
  "$LAB" down --dir "$mixed_dir" >/dev/null 2>&1 || true
  return 0
fi
mk() { KUBECONFIG="$mixed_kubeconfig" kubectl --context "$1" "${@:2}"; }
mixed_meshctl() { KUBECONFIG="$mixed_kubeconfig" meshctl "$@"; }

check "sea serves no crd.projectcalico.org group" bash -c \
  "! KUBECONFIG='$mixed_kubeconfig' kubectl --context sea api-versions | grep -q '^crd.projectcalico.org/'"

# Counts what meshctl asked the API servers to change in these clusters
# (access reviews are creates too, but change nothing).
meshctl_writes() {
  local total=0 c n
  for c in "$@"; do
    n=$(audit_events "$mixed_dir/clusters/$c/audit.log" | jq -s '[.[] | select((.userAgent // "" | startswith("meshctl/")) and
                 (.verb | IN("create", "update", "patch", "delete", "deletecollection")) and
                 .objectRef.apiGroup != "authorization.k8s.io")] | length')
    total=$((total + n))
  done
  echo "$total"
}

echo "-- refusals before any write"
mixed_meshctl join sea ord den -o json --allow-loopback-servers --timeout 60s
expect_rc 5 "join refuses while den's datastore migration is in progress"
jqc "the refusal names den, the DatastoreMigration and its phase" \
  '[.preflightProblems[] | select(.cluster == "den" and (.message | contains("DatastoreMigration v3-migration is in phase Migrating")))] | length == 1'
jqc "the refusal is the only problem" '.preflightProblems | length == 1'
mixed_meshctl join sea yul --allow-loopback-servers --timeout 60s
expect_rc 5 "join refuses yul (no licence, 3.22 reading a native-v3 remote)"
check "one line names yul's missing licence and the fix" grep -q \
  'yul: no Calico Enterprise licence (LicenseKey default is missing).*hint: apply a LicenseKey' <<<"$MESH_ERR"
check "one line names yul <- sea: a 3.22 reader of a native-v3 remote" grep -q \
  'yul <- sea: yul runs Enterprise v3.22.0, whose Typha reads IP pools and blocks in crd.projectcalico.org.*hint: upgrade yul' <<<"$MESH_ERR"
check "the refusals wrote nothing in sea, ord, den or yul (audit logs)" \
  test "$(meshctl_writes sea ord den yul)" = 0

mixed_meshctl join sea ord -o json --allow-loopback-servers --timeout 90s
expect_rc 0 "join of a native-v3 cluster and an API-server cluster with the apply bug"
jqc "both links verified in sync" '[.links[] | select(.verified and .state == "in-sync")] | length == 2'
audit_events "$mixed_dir/clusters/ord/audit.log" >"$ARTIFACTS/ord-audit.jsonl"
check "ord's API server refused meshctl's server-side apply of the RCC (500), and the RCC was created instead" \
  jq -se '([.[] | select(.objectRef.resource == "remoteclusterconfigurations" and .objectRef.apiGroup == "projectcalico.org"
            and .verb == "patch" and .responseStatus.code == 500 and .stage == "ResponseComplete")] | length >= 1)
          and ([.[] | select(.objectRef.resource == "remoteclusterconfigurations" and .objectRef.apiGroup == "projectcalico.org"
            and .verb == "create" and .responseStatus.code == 201 and .stage == "ResponseComplete")] | length >= 1)' \
  "$ARTIFACTS/ord-audit.jsonl"
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

echo "-- a mixed mesh: native v3 3.24, API server 3.23 with the apply bug, mid-migration 3.23 (--force)"
mixed_meshctl join sea ord den --force -o json --allow-loopback-servers --timeout 90s
expect_rc 0 "join of three Calico shapes with --force during den's migration"
jqc "all six links verified in sync" '[.links[] | select(.verified and .state == "in-sync")] | length == 6'
jqc "overlay routing derived as Enabled everywhere (VXLAN pools)" '[.clusters[].overlayRouting] == ["Enabled", "Enabled", "Enabled"]'
check "den's RCC for sea carries overlayRoutingMode Enabled (kubectl)" test \
  "$(mk den get remoteclusterconfigurations.projectcalico.org sea -o jsonpath='{.spec.syncOptions.overlayRoutingMode}')" = Enabled
mixed_meshctl status sea ord den -o json
expect_rc 0 "status of the three-shape mesh"
jqc "status fingerprints each cluster's API mode and version" \
  '[.clusters[] | "\(.name) \(.calico.apiMode) \(.calico.enterpriseVersion)"] ==
     ["sea native-v3 v3.24.0", "ord api-server v3.23.0", "den api-server v3.23.0"]'
jqc "status shows den's migration phase and every licence" \
  '([.clusters[] | select(.name == "den") | .calico.migration.phase] == ["Migrating"]) and
   ([.clusters[].calico.licence] | all(. == "ok"))'
mixed_meshctl status sea ord den -o wide
check "status -o wide prints each cluster's Calico" grep -q '^cluster sea: Calico 3.24 native-v3' <<<"$MESH_OUT"

echo "-- overlay routing follows the local data plane"
den_pool="$(mk den get ippools.crd.projectcalico.org -o jsonpath='{.items[0].metadata.name}')"
mk den patch ippools.crd.projectcalico.org "$den_pool" --type merge -p '{"spec":{"vxlanMode":"Never"}}' >/dev/null
mixed_meshctl join sea ord den --force --dry-run -o json --allow-loopback-servers
expect_rc 0 "a dry run with den on neither VXLAN nor WireGuard"
jqc "den's RCCs would route Disabled, the others Enabled" \
  '[.clusters[] | "\(.name)=\(.overlayRouting)"] == ["sea=Enabled", "ord=Enabled", "den=Disabled"]'
mixed_meshctl join sea ord den --force --overlay-routing Enabled --allow-loopback-servers
expect_rc 5 "--overlay-routing Enabled is refused where there is no overlay"
check "the refusal names den and the fix" grep -q \
  'den: --overlay-routing Enabled, but den has no enabled VXLAN IPPool and WireGuard is off.*hint: enable VXLAN or WireGuard in den' <<<"$MESH_ERR"
mk den patch ippools.crd.projectcalico.org "$den_pool" --type merge -p '{"spec":{"vxlanMode":"Always"}}' >/dev/null

(
  export KUBECONFIG="$mixed_kubeconfig"
  CLUSTERS=(sea ord den yul)
  harvest_secrets
)
"$LAB" down --dir "$mixed_dir" >/dev/null 2>&1 || true
