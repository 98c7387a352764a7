# EKS-style contexts (ARN cluster names, alias contexts) and bound tokens.
export KUBECONFIG="$LAB_EKS_KUBECONFIG"
meshctl join iad-eks pdx-eks --token bound --token-ttl 2h "${JOIN_FLAGS[@]}" -o json
expect_rc 0 "join through EKS-style contexts with bound tokens"
check "mesh names come from the alias contexts" bash -c \
  "kubectl --context iad-eks get remoteclusterconfigurations.projectcalico.org pdx-eks"
harvest_secrets
meshctl join iad-eks pdx-eks --token bound --token-ttl 2h "${JOIN_FLAGS[@]}" -o json
expect_rc 0 "a second bound-token join"
jqc "it keeps the still-fresh bound tokens: every object unchanged" '[.objects[] | select(.action != "unchanged")] | length == 0'
meshctl status iad-eks pdx-eks -o json
expect_rc 0 "status of the EKS-named links"
check "bound tokens show their expiry (under 2h)" bash -c \
  "jq -e '[.links[] | select(.remote==\"pdx-eks\" or .remote==\"iad-eks\") | .credential] | all(.tokenKind==\"bound\" and .expiresInSeconds > 0 and .expiresInSeconds <= 7200)' <<<'$MESH_OUT'"
stored_bound() { kc iad-eks get secret -n calico-system remote-cluster-pdx-eks -o jsonpath='{.data.kubeconfig}' | sha256sum; }
before="$(stored_bound)"
meshctl rotate pdx-eks --token-ttl 2h -o json
expect_rc 0 "rotate a cluster whose peer stores a bound token"
jqc "bound mode: a fresh token for the peer, in sync, nothing revoked, and the report says why" \
  '.clusters[0] | .mode == "bound" and .state == "rotated" and .updated == ["iad-eks"] and .revoked == [] and
   ([.links[] | select(.state == "in-sync")] | length) == 1 and (.detail | test("stay valid until they expire"))'
check "iad-eks stores a new bound token for pdx-eks" test "$(stored_bound)" != "$before"
harvest_secrets
meshctl leave iad-eks pdx-eks
expect_rc 0 "the EKS-named links leave again"
check "no RCC named after an EKS alias remains" bash -c \
  "! kubectl --context iad-eks get remoteclusterconfigurations.projectcalico.org pdx-eks 2>/dev/null"
