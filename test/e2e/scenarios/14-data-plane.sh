# A green mesh must carry traffic (issue 14, part 1): preflight refuses, before
# any write, pods CIDRs that overlap, a node name in two clusters and overlays
# that differ, one line per finding naming both clusters and both objects;
# --skip-check NAME skips one and says so. The conflicts are made with kubectl
# as Calico and Kubernetes store them, then removed.
node="$(kc iad get nodes -o jsonpath='{.items[0].metadata.name}')"
pool_cidr="$(kc iad get ippools.crd.projectcalico.org default-ipv4-ippool -o jsonpath='{.spec.cidr}')"
inner_cidr="${pool_cidr%.*.*/*}.128.0/17"  # 10.10.0.0/16 -> 10.10.128.0/17
service_cidr="$(kc iad get servicecidrs kubernetes -o jsonpath='{.spec.cidrs[0]}')"  # made by kube-apiserver
service_inner="${service_cidr%.*.*/*}.0.0/24"
restore() {
  kc fra delete ippools.crd.projectcalico.org meshctl-e2e-overlap --ignore-not-found >/dev/null
  # kube-controller-manager lifts the finalizer once no Service address is in it
  kc fra delete servicecidrs meshctl-e2e-overlap --ignore-not-found --timeout 60s >/dev/null
  kc pdx delete node "$node" --ignore-not-found >/dev/null
  kc fra patch felixconfigurations.crd.projectcalico.org default --type merge -p '{"spec":{"vxlanPort":4789}}' >/dev/null
}
trap restore EXIT
kc fra apply -f - >/dev/null <<YAML
apiVersion: crd.projectcalico.org/v1
kind: IPPool
metadata: {name: meshctl-e2e-overlap}
spec: {cidr: "$inner_cidr", blockSize: 26, vxlanMode: Always, ipipMode: Never, natOutgoing: true, nodeSelector: all()}
YAML
kc fra apply -f - >/dev/null <<YAML
apiVersion: networking.k8s.io/v1
kind: ServiceCIDR
metadata: {name: meshctl-e2e-overlap}
spec: {cidrs: ["$service_inner"]}
YAML
kc pdx apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Node
metadata: {name: $node}
YAML
kc fra patch felixconfigurations.crd.projectcalico.org default --type merge -p '{"spec":{"vxlanPort":4790}}' >/dev/null

source "$REPO_ROOT/test/e2e/lib_faults.sh"
snapshot() { for c in "${CLUSTERS[@]}"; do managed_objects "$c"; done; }
before="$(snapshot)"
mark_audit
meshctl join iad pdx fra "${JOIN_FLAGS[@]}"
expect_rc 5 "join refuses the data plane"
check "pool overlap: both clusters and both IPPools named" grep -qF \
  "iad and fra: IPPool default-ipv4-ippool ($pool_cidr) in iad overlaps IPPool meshctl-e2e-overlap ($inner_cidr) in fra" <<<"$MESH_ERR"
check "service CIDRs: both clusters and both ServiceCIDRs named" grep -qF \
  "iad and fra: ServiceCIDR kubernetes ($service_cidr) in iad overlaps ServiceCIDR meshctl-e2e-overlap ($service_inner) in fra" <<<"$MESH_ERR"
check "node names: the node and both clusters named" grep -qF "iad and pdx: node $node is in both clusters" <<<"$MESH_ERR"
check "overlay: iad and fra's vxlanPort" grep -qF "iad and fra: vxlanPort is 4789 in iad and 4790 in fra" <<<"$MESH_ERR"
check "overlay: pdx and fra's vxlanPort" grep -qF "pdx and fra: vxlanPort is 4789 in pdx and 4790 in fra" <<<"$MESH_ERR"
check "one line per finding (5), each with its fix and skip" \
  test "$(grep -c . <<<"$MESH_ERR")" == 5 -a "$(grep -c -- '--skip-check' <<<"$MESH_ERR")" == 5
check "nothing written" test "$before" == "$(snapshot)"
check "no write request reached any cluster (audit logs)" no_meshctl_writes

meshctl render iad fra -o yaml "${JOIN_FLAGS[@]:0:1}"
expect_rc 5 "render refuses the same way"

meshctl join iad pdx fra --skip-check pool-overlap --skip-check service-overlap --skip-check node-names \
  --skip-check overlay --dry-run "${JOIN_FLAGS[@]}"
expect_rc 0 "with every data-plane check skipped, the dry run goes ahead"
check "each skip is said" test "$(grep -c 'data-plane check .* was skipped (--skip-check)' <<<"$MESH_ERR")" == 4
meshctl join iad pdx fra --skip-check overlay --dry-run "${JOIN_FLAGS[@]}"
expect_rc 5 "skipping one check leaves the others"
check "the skipped check is silent" test -z "$(grep vxlanPort <<<"$MESH_ERR")"
check "the others still speak" grep -q 'overlaps IPPool' <<<"$MESH_ERR"
meshctl join iad pdx --skip-check pools "${JOIN_FLAGS[@]}"
expect_rc 2 "an unknown check name is a usage error"
check "it lists the checks" grep -q 'pool-overlap, service-overlap, node-names, overlay' <<<"$MESH_ERR"

restore
meshctl join iad pdx fra --dry-run "${JOIN_FLAGS[@]}"
expect_rc 0 "once the conflicts are gone, preflight passes"
check "nothing written by any of it" test "$before" == "$(snapshot)"
check "no write request from any of it reached a cluster (audit logs; dry runs ask with dryRun)" no_meshctl_writes
