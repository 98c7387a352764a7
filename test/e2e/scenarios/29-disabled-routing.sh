# Network-provided routing (issue 14): a cluster without VXLAN or WireGuard
# gets overlayRoutingMode Disabled and, for each pod CIDR of each remote, a
# disabled, natOutgoing-free IPPool, kept in step with the remotes' pools and
# removed by a switch to Enabled, by leave and by teardown. Encapsulation is
# changed with kubectl as Calico stores it (IP-in-IP pools), then restored.
# Starts from the joined mesh the scenarios before leave.
pool_kind=ippools.crd.projectcalico.org  # the legacy lab keeps pools in the v1 CRDs only
declare -A cidr
for c in "${CLUSTERS[@]}"; do cidr[$c]="$(kc "$c" get $pool_kind default-ipv4-ippool -o jsonpath='{.spec.cidr}')"; done
encap() {  # encap CLUSTER vxlan|ipip
  local vxlan=Always ipip=Never
  [[ "$2" == ipip ]] && vxlan=Never ipip=Always
  kc "$1" patch $pool_kind default-ipv4-ippool --type merge -p "{\"spec\":{\"vxlanMode\":\"$vxlan\",\"ipipMode\":\"$ipip\"}}" >/dev/null
}
pool_name() { local n="${2//[.\/]/-}"; echo "remote-cluster-$1-$n"; }  # pool_name REMOTE CIDR
meshctl_pools() { kc "$1" get $pool_kind -l app.kubernetes.io/managed-by=meshctl -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' | sort; }
# every_pool_as_joined L R...: L holds exactly one disabled pool per given remote CIDR, and nothing else of meshctl's
pools_are() {
  local local_ctx="$1"; shift
  local want=""
  for spec in "$@"; do want+="$(pool_name "${spec%%=*}" "${spec#*=}")"$'\n'; done
  [[ "$(meshctl_pools "$local_ctx")" == "$(sort <<<"${want%$'\n'}" | grep . || true)" ]] || return 1
  for spec in "$@"; do
    local got
    got="$(kc "$local_ctx" get $pool_kind "$(pool_name "${spec%%=*}" "${spec#*=}")" \
      -o jsonpath='{.spec.cidr} {.spec.disabled} {.spec.natOutgoing} {.spec.ipipMode} {.spec.vxlanMode}')"
    [[ "$got" == "${spec#*=} true false Never Never" ]] || { echo "  $local_ctx: $got" >&2; return 1; }
  done
}
rcc_routing() { kc "$1" get remoteclusterconfigurations.projectcalico.org "$2" -o jsonpath='{.spec.syncOptions.overlayRoutingMode}'; }
restore() {
  for c in "${CLUSTERS[@]}"; do encap "$c" vxlan; done
  kc pdx delete $pool_kind meshctl-e2e-second --ignore-not-found >/dev/null
}
trap restore EXIT

echo "-- derived per cluster: VXLAN in iad, IP-in-IP in pdx and fra"
encap pdx ipip
encap fra ipip
meshctl join iad pdx fra -o json "${JOIN_FLAGS[@]}"
expect_rc 0 "join with two IP-in-IP clusters"
check "iad (VXLAN) routes over the overlay: Enabled, no pools" \
  bash -c "[[ \$(kubectl --context iad get remoteclusterconfigurations.projectcalico.org pdx -o jsonpath='{.spec.syncOptions.overlayRoutingMode}') == Enabled ]]"
check "iad holds no pool of meshctl's" pools_are iad
check "pdx (IP-in-IP) gets Disabled" test "$(rcc_routing pdx iad)" == Disabled
check "pdx holds a disabled pool for iad's and fra's CIDRs" pools_are pdx "iad=${cidr[iad]}" "fra=${cidr[fra]}"
check "fra holds a disabled pool for iad's and pdx's CIDRs" pools_are fra "iad=${cidr[iad]}" "pdx=${cidr[pdx]}"
jqc "the report says each cluster's routing" \
  '[.clusters[] | {(.name): .overlayRouting}] | add == {"iad":"Enabled","pdx":"Disabled","fra":"Disabled"}'
jqc "the pools are reported as created" '[.objects[] | select(.kind == "IPPool" and .action == "create")] | length == 4'

echo "-- a Disabled mesh of three"
encap iad ipip
meshctl join iad pdx fra -o json "${JOIN_FLAGS[@]}"
expect_rc 0 "join once iad is IP-in-IP too"
check "iad now holds pools for pdx and fra" pools_are iad "pdx=${cidr[pdx]}" "fra=${cidr[fra]}"
check "every RCC says Disabled" bash -c \
  "for c in iad pdx fra; do kubectl --context \$c get remoteclusterconfigurations.projectcalico.org -o jsonpath='{range .items[*]}{.spec.syncOptions.overlayRoutingMode}{\"\\n\"}{end}'; done | sort -u | grep -qx Disabled"
meshctl status iad pdx fra -o json
expect_rc 0 "status: healthy, pools present"
jqc "status lists the six pools as present" \
  '[.links[].objects[] | select(.kind == "IPPool" and .present and .problem == "")] | length == 6'

echo "-- kept in step with the remotes' pools"
kc pdx apply -f - >/dev/null <<YAML
apiVersion: crd.projectcalico.org/v1
kind: IPPool
metadata: {name: meshctl-e2e-second}
spec: {cidr: 10.61.0.0/16, blockSize: 26, vxlanMode: Never, ipipMode: Always, natOutgoing: true, nodeSelector: all()}
YAML
meshctl status iad pdx fra -o json
expect_rc 5 "status: a pool of pdx that iad and fra lack breaks those links"
jqc "the missing pools are named" \
  '[.links[].objects[] | select(.kind == "IPPool" and (.present | not)) | .name] | sort == ["remote-cluster-pdx-10-61-0-0-16","remote-cluster-pdx-10-61-0-0-16"]'
meshctl join iad pdx fra "${JOIN_FLAGS[@]}"
expect_rc 0 "re-join"
check "iad has pdx's new CIDR" pools_are iad "pdx=${cidr[pdx]}" "pdx=10.61.0.0/16" "fra=${cidr[fra]}"
check "fra has pdx's new CIDR" pools_are fra "pdx=${cidr[pdx]}" "pdx=10.61.0.0/16" "iad=${cidr[iad]}"
kc pdx delete $pool_kind meshctl-e2e-second >/dev/null
meshctl join iad pdx fra -o json "${JOIN_FLAGS[@]}"
expect_rc 0 "re-join after pdx dropped the pool"
check "iad no longer has it" pools_are iad "pdx=${cidr[pdx]}" "fra=${cidr[fra]}"
check "fra no longer has it" pools_are fra "pdx=${cidr[pdx]}" "iad=${cidr[iad]}"
jqc "the two removals are reported" '[.objects[] | select(.kind == "IPPool" and .action == "delete")] | length == 2'
kc iad patch $pool_kind "$(pool_name pdx "${cidr[pdx]}")" --type merge -p '{"spec":{"disabled":false}}' >/dev/null
meshctl status iad pdx fra -o json
expect_rc 5 "status: a pool changed by hand is a broken link"
jqc "and it says how" "[.links[].objects[] | select(.kind == \"IPPool\" and .problem != \"\") | .problem] == [\"is not a disabled pool for ${cidr[pdx]}: changed by another hand (meshctl join --force-conflicts restores it)\"]"
meshctl join iad pdx fra "${JOIN_FLAGS[@]}"
expect_rc 1 "re-join does not overwrite another field manager's change"
check "it names the conflict and the way out" grep -q 'conflict with "kubectl-patch".*--force-conflicts' <<<"$MESH_OUT$MESH_ERR"
meshctl join iad pdx fra --force-conflicts "${JOIN_FLAGS[@]}"
expect_rc 0 "re-join with --force-conflicts repairs it"
check "iad's pools are as joined again" pools_are iad "pdx=${cidr[pdx]}" "fra=${cidr[fra]}"

echo "-- leave and teardown leave none"
meshctl leave fra
expect_rc 0 "leave fra"
check "iad keeps only pdx's pool" pools_are iad "pdx=${cidr[pdx]}"
check "pdx keeps only iad's pool" pools_are pdx "iad=${cidr[iad]}"
check "fra has none" pools_are fra
meshctl teardown iad pdx fra
expect_rc 0 "teardown"
for c in "${CLUSTERS[@]}"; do check "$c: no pool of meshctl's left" pools_are "$c"; done

echo "-- a switch to Enabled removes the pools"
meshctl join iad pdx fra "${JOIN_FLAGS[@]}"
expect_rc 0 "Disabled join again"
check "iad has its two pools" pools_are iad "pdx=${cidr[pdx]}" "fra=${cidr[fra]}"
restore
meshctl join iad pdx fra -o json "${JOIN_FLAGS[@]}"
expect_rc 0 "join once every cluster runs VXLAN again"
for c in "${CLUSTERS[@]}"; do check "$c: Enabled and no pool left" bash -c \
  "[[ -z \"\$(kubectl --context $c get $pool_kind -l app.kubernetes.io/managed-by=meshctl -o name)\" ]]"; done
check "every RCC says Enabled" test "$(rcc_routing iad pdx)$(rcc_routing pdx fra)$(rcc_routing fra iad)" == EnabledEnabledEnabled
