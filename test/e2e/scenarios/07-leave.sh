# leave fra: the others stay meshed; nothing of meshctl's refers to fra; fra's
# old token no longer authenticates.
fra_token="$(kc fra get secret -n calico-system tigera-federation-remote-cluster -o jsonpath='{.data.token}' | base64 -d)"
fra_server="$(kubectl config view -o json | jq -r --arg c "$(kubectl config view -o json | jq -r '.contexts[] | select(.name=="fra") | .context.cluster')" '.clusters[] | select(.name==$c) | .cluster.server')"
fra_ca="$LAB_DIR/fra-ca.pem"
kubectl config view --raw -o json | jq -r --arg c "$(kubectl config view -o json | jq -r '.contexts[] | select(.name=="fra") | .context.cluster')" '.clusters[] | select(.name==$c) | .cluster["certificate-authority-data"] | @base64d' >"$fra_ca"

meshctl leave fra --dry-run -o json
expect_rc 0 "leave --dry-run"
check "dry run lists fra's objects and the peers' links to fra" \
  test "$(jq '[.objects[] | select(.action=="would-delete")] | length' <<<"$MESH_OUT")" -ge 12
check "dry run deleted nothing" test "$(count_managed fra)" -gt 0

meshctl leave fra
expect_rc 0 "leave fra"
check "no meshctl object remains in fra" test "$(count_managed fra)" == 0
for c in iad pdx; do
  check "$c: nothing meshctl-labelled refers to fra" bash -c \
    "! kubectl --context $c get secrets,roles,rolebindings -A -l 'meshctl.projectcalico.org/remote-cluster=fra' -o name | grep -q . &&
     ! kubectl --context $c get remoteclusterconfigurations.projectcalico.org fra 2>/dev/null"
done
check "fra's old federation token is refused by fra's API server" bash -c \
  "! kubectl --server '$fra_server' --certificate-authority '$fra_ca' --token '$fra_token' --kubeconfig /dev/null get pods -A >/dev/null 2>&1"
meshctl status iad pdx
expect_rc 0 "iad and pdx stay in sync with each other"

meshctl leave fra
expect_rc 0 "a second leave is a no-op"
meshctl join iad pdx fra "${JOIN_FLAGS[@]}"
expect_rc 0 "fra joins again"
harvest_secrets
