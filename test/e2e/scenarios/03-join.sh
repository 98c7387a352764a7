# The main job: a full mesh of three clusters, every documented object checked
# with kubectl, every stored credential tried with kubectl, every link in sync
# according to the Typha stand-ins.
meshctl -v join iad pdx fra "${JOIN_FLAGS[@]}"
expect_rc 0 "join iad pdx fra"
check "the link table lists 6 links in sync" test "$(grep -c 'in-sync' <<<"$MESH_OUT")" == 6
harvest_secrets

for c in "${CLUSTERS[@]}"; do
  check "$c: federation ServiceAccount" kc "$c" get sa -n calico-system tigera-federation-remote-cluster
  check "$c: ClusterRole names nodes and the crd.projectcalico.org resources" bash -c \
    "kubectl --context $c get clusterrole tigera-federation-remote-cluster -o json | jq -e '
       ([.rules[] | select(.apiGroups==[\"\"]) | .resources[]] | index(\"nodes\")) and
       ([.rules[] | select(.apiGroups==[\"crd.projectcalico.org\"]) | .resources] == [[\"hostendpoints\",\"ipamblocks\",\"ippools\"]])'"
  check "$c: ClusterRole tigera-federation-remote-cluster-v3 grants the same in projectcalico.org, bound to the ServiceAccount" bash -c \
    "kubectl --context $c get clusterrole tigera-federation-remote-cluster-v3 -o json | jq -e '
       [.rules[] | select(.apiGroups==[\"projectcalico.org\"]) | .resources] == [[\"hostendpoints\",\"ipamblocks\",\"ippools\"]]' &&
     kubectl --context $c get clusterrolebinding tigera-federation-remote-cluster-v3 -o jsonpath='{.roleRef.name} {.subjects[0].namespace}/{.subjects[0].name}' |
       grep -qx 'tigera-federation-remote-cluster-v3 calico-system/tigera-federation-remote-cluster'"
  check "$c: ClusterRoleBinding to the ServiceAccount" bash -c \
    "kubectl --context $c get clusterrolebinding tigera-federation-remote-cluster -o jsonpath='{.subjects[0].namespace}/{.subjects[0].name}' | grep -qx calico-system/tigera-federation-remote-cluster"
  check "$c: token Secret filled by the token controller" bash -c \
    "kubectl --context $c get secret -n calico-system tigera-federation-remote-cluster -o jsonpath='{.type} {.data.token}' | grep -q '^kubernetes.io/service-account-token .'"
  for r in "${CLUSTERS[@]}"; do
    [[ "$r" == "$c" ]] && continue
    check "$c <- $r: RCC named $r points at its Secret with overlay routing" bash -c \
      "kubectl --context $c get remoteclusterconfigurations.projectcalico.org $r -o json | jq -e '
         .spec.clusterAccessSecret == {\"kind\":\"Secret\",\"name\":\"remote-cluster-$r\",\"namespace\":\"calico-system\"}
         and .spec.syncOptions.overlayRoutingMode == \"Enabled\"
         and .metadata.labels[\"app.kubernetes.io/managed-by\"] == \"meshctl\"'"
    check "$c <- $r: Secret has datastoreType kubernetes" bash -c \
      "kubectl --context $c get secret -n calico-system remote-cluster-$r -o jsonpath='{.data.datastoreType}' | base64 -d | grep -qx kubernetes"
    check "$c <- $r: Role grants calico-typha exactly that Secret" bash -c \
      "kubectl --context $c auth can-i get secret/remote-cluster-$r -n calico-system --as=system:serviceaccount:calico-system:calico-typha | grep -qx yes &&
       kubectl --context $c auth can-i list secrets -n calico-system --as=system:serviceaccount:calico-system:calico-typha | grep -qx no"
    kcfg="$LAB_DIR/stored-$c-$r"
    stored_kubeconfig "$c" "$r" "$kcfg"
    check "$c <- $r: stored kubeconfig has one context, set as current, with a token user" bash -c \
      "kubectl --kubeconfig $kcfg config view -o json | jq -e '(.contexts|length)==1 and .[\"current-context\"]!=\"\" and (.users[0].user|keys)==[\"token\"]'"
    check "$c <- $r: stored credential lists pods, nodes and ippools in $r" bash -c \
      "kubectl --kubeconfig $kcfg get pods -A >/dev/null && kubectl --kubeconfig $kcfg get nodes >/dev/null && kubectl --kubeconfig $kcfg get ippools.crd.projectcalico.org >/dev/null"
    check "$c <- $r: stored credential is refused secrets in $r" bash -c \
      "! kubectl --kubeconfig $kcfg get secrets -A >/dev/null 2>&1"
    check "$c <- $r: stored server is $r's own server" bash -c \
      "test \"\$(kubectl --kubeconfig $kcfg config view -o jsonpath='{.clusters[0].cluster.server}')\" == \"\$(kubectl config view -o jsonpath='{.clusters[?(@.name==\"'\$(kubectl config view -o jsonpath='{.contexts[?(@.name==\"$r\")].context.cluster}')'\")].cluster.server}')\""
    check "$c <- $r: Typha in $c logs in-sync for $r (kubectl logs)" bash -c \
      "kubectl --context $c logs -n calico-system -l k8s-app=calico-typha --tail=-1 | grep -q 'Sending in-sync update for RemoteClusterConfiguration($r)'"
  done
done
check "stored kubeconfig files are never written by meshctl (none in the work dir)" bash -c "! ls $PWD/*kubeconfig* 2>/dev/null"

meshctl contexts --check
expect_rc 0 "contexts --check authenticates to every lab cluster"
check "contexts --check shows three ok rows" test "$(grep -c ' ok$' <<<"$MESH_OUT")" == 3
meshctl version --context iad -o json
expect_rc 0 "version --context iad"
jqc "the server version is the lab's pinned Kubernetes" '.serverVersion == "v1.33.13"'
want_commit=""
[[ -d "$REPO_ROOT/.git" ]] && want_commit="$(git -C "$REPO_ROOT" rev-parse HEAD)"
jqc "version -o json is a Version document stamped with this checkout's commit (none outside git)" \
  '.apiVersion == "meshctl.projectcalico.org/v1alpha1" and .kind == "Version" and .exitCode == 0 and
   .build.commit == "'"$want_commit"'" and (.build.date | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T"))'
