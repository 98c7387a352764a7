# status: the whole mesh, discovered from the kubeconfig, in the documented shape.
meshctl status -o json
expect_rc 0 "status of a healthy mesh"
check "status JSON has the documented kind and version" \
  jq -e '.apiVersion == "meshctl.projectcalico.org/v1alpha1" and .kind == "MeshStatus"' <<<"$MESH_OUT"
check "status shows 6 healthy links" test "$(jq '[.links[] | select(.healthy)] | length' <<<"$MESH_OUT")" == 6
check "each link carries state, objects and credential" \
  jq -e 'all(.links[]; has("local") and has("remote") and has("state") and (.objects|length)==4 and .credential.result=="ok" and .credential.tokenKind=="secret")' <<<"$MESH_OUT"
check "the ignored EKS duplicate contexts are not in a plain status" test "$(jq '.clusters | length' <<<"$MESH_OUT")" == 3
meshctl status iad pdx fra
expect_rc 0 "status with named contexts, table"
check "table has a header and 6 rows" test "$(grep -c 'in-sync' <<<"$MESH_OUT")" == 6
