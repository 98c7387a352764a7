# Refusals before anything is written: each gives one clear line and a
# documented exit code, and no cluster gains an object.
before_iad=$(count_managed iad); before_pdx=$(count_managed pdx)

meshctl join iad nowhere "${JOIN_FLAGS[@]}"
expect_rc 2 "unknown context is a configuration error"
check "the error names the context" grep -q 'nowhere' <<<"$MESH_ERR"

meshctl join a=iad a=pdx "${JOIN_FLAGS[@]}"
expect_rc 2 "colliding mesh names are refused"

meshctl join iad "${JOIN_FLAGS[@]}"
expect_rc 2 "a single cluster is a usage error"

KUBECONFIG="$KUBECONFIG:$LAB_EKS_KUBECONFIG" meshctl join iad iad-eks "${JOIN_FLAGS[@]}"
expect_rc 5 "the same cluster under two contexts is refused (kube-system UID)"
check "the error says they are the same cluster" grep -q 'same cluster' <<<"$MESH_ERR"

meshctl --kubeconfig /nonexistent/kubeconfig join iad pdx
expect_rc 2 "a missing --kubeconfig file is a configuration error"

broken="$LAB_DIR/broken-kubeconfig"
printf 'apiVersion: v1\nclusters: [\n' >"$broken"
meshctl --kubeconfig "$broken" contexts
expect_rc 2 "malformed kubeconfig YAML"
check "the error names the file" grep -q "$broken" <<<"$MESH_ERR"

# A cluster without the RemoteClusterConfiguration API.
crd="$LAB_DIR/rcc-crd.json"
kc fra get crd remoteclusterconfigurations.projectcalico.org -o json |
  jq 'del(.metadata.resourceVersion,.metadata.uid,.metadata.creationTimestamp,.metadata.generation,.metadata.managedFields,.status)' >"$crd"
kc fra delete crd remoteclusterconfigurations.projectcalico.org --wait=true >/dev/null
meshctl join iad fra "${JOIN_FLAGS[@]}"
expect_rc 5 "a cluster without the RCC API fails preflight"
check "the error names fra and the API" grep -q 'fra.*RemoteClusterConfiguration' <<<"$MESH_ERR"
kc fra create -f "$crd" >/dev/null
kc fra wait --for=condition=Established crd/remoteclusterconfigurations.projectcalico.org --timeout=60s >/dev/null

# An unreachable cluster: preflight fails and nothing is written anywhere.
"$LAB" stop-apiserver --cluster pdx --dir "$LAB_DIR" >/dev/null
meshctl join iad pdx "${JOIN_FLAGS[@]}"
expect_rc 4 "an unreachable cluster fails preflight"
check "the error names pdx" grep -q 'pdx' <<<"$MESH_ERR"
"$LAB" start-apiserver --cluster pdx --dir "$LAB_DIR" >/dev/null

check "nothing was written in iad" test "$(count_managed iad)" == "$before_iad"
check "nothing was written in pdx" test "$(count_managed pdx)" == "$before_pdx"
