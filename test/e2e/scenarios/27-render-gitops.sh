# GitOps (issue 12, part 3): meshctl render writes, per cluster, the objects
# join would write; kubectl (standing in for Argo CD or Flux) applies them.
# From an empty mesh: render (placeholders: no token exists yet), apply,
# render again with the tokens now issued, apply: every link syncs in the
# Typha stand-ins, and a following join finds every object unchanged and
# writes nothing. Render itself never writes to a cluster (audit logs).
# The rendered files hold credentials, so they live outside the artefacts.
# Leaves the full mesh joined.
source "$REPO_ROOT/test/e2e/lib_faults.sh"

render_dir="$LAB_DIR/render"
rm -rf "$render_dir"

# The last thing every Typha replica of LOCAL said about RCC REMOTE is that it is in sync.
typha_in_sync() {
  local pod
  for pod in $(kc "$1" get pods -n calico-system -l 'k8s-app in (calico-typha,calico-typha-noncluster-host)' -o name); do
    kc "$1" logs -n calico-system "$pod" --tail=-1 |
      awk -v rcc="RemoteClusterConfiguration($2)" 'index($0, rcc) {last = $0}
        END {exit !(last ~ /Sending in-sync update/)}' || return 1
  done
}
every_link_in_sync() {
  local l r
  for l in "${CLUSTERS[@]}"; do
    for r in "${CLUSTERS[@]}"; do [[ "$l" == "$r" ]] || typha_in_sync "$l" "$r" || return 1; done
  done
}

meshctl teardown iad pdx fra
expect_rc 0 "start from an empty mesh"

echo "-- render before any token exists"
mark_audit
meshctl render iad pdx fra --out-dir "$render_dir" --allow-loopback-servers
expect_rc 0 "render of an empty mesh"
check "render wrote nothing to any cluster (audit logs)" no_meshctl_writes
check "one directory per cluster, each with 14 objects and a kustomization.yaml" bash -c \
  "for c in iad pdx fra; do [[ \$(ls '$render_dir'/\$c/[0-9][0-9]-*.yaml | wc -l) == 14 && -f '$render_dir'/\$c/kustomization.yaml ]] || exit 1; done"
check "every link Secret file is 0600, every other file 0644" bash -c \
  "[[ \$(stat -c %a '$render_dir'/*/*-secret-remote-cluster-*.yaml | sort -u) == 600 &&
     \$(stat -c %a '$render_dir'/*/*-role*.yaml '$render_dir'/*/kustomization.yaml | sort -u) == 644 ]]"
check "every link Secret holds the placeholder and names the command that fills it" bash -c \
  "for f in '$render_dir'/*/*-secret-remote-cluster-*.yaml; do
     grep -q 'meshctl render iad pdx fra --include-credentials --out-dir' \"\$f\" || exit 1
     [[ \$(sed -n 's/^  kubeconfig: \"\\(.*\\)\"\$/\\1/p' \"\$f\" | base64 -d | awk '/token:/ {print \$2}') == MESHCTL-PLACEHOLDER-* ]] || exit 1
   done"
check "kubectl kustomize keeps the ServiceAccount before its token Secret and each Secret before its RCC" bash -c \
  "kubectl kustomize '$render_dir/iad' | awk '/^kind:/ {print \$2}' | tr '\n' ' ' |
     grep -Eq '^ServiceAccount .*Secret .*RemoteClusterConfiguration RemoteClusterConfiguration \$'"
check "iad's API server accepts every rendered object (server-side dry run)" \
  kc iad apply -k "$render_dir/iad" --dry-run=server
meshctl render --context iad --context pdx -o=yaml --allow-loopback-servers
expect_rc 0 "render as one YAML stream (contexts given kubectl-style: --context, -o=yaml)"
check "the stream holds both clusters' 20 objects, each headed by its cluster" bash -c \
  "[[ \$(grep -c '^# cluster: iad (context iad), object' <<<\"\$1\") == 10 &&
     \$(grep -c '^# cluster: pdx (context pdx), object' <<<\"\$1\") == 10 ]]" _ "$MESH_OUT"
check "kubectl reads every document of the stream" bash -c \
  "[[ \$(kubectl --context iad create --dry-run=client -o name -f - <<<\"\$1\" | wc -l) == 20 ]]" _ "$MESH_OUT"

echo "-- apply with kubectl, then render again with the tokens"
for c in "${CLUSTERS[@]}"; do kc "$c" apply -k "$render_dir/$c" >"$ARTIFACTS/render-apply-1-$c.log" 2>&1; done
# The token must be for the ServiceAccount that exists now. When one of the
# same name was deleted moments before (the teardown that empties the mesh),
# Kubernetes' token controller can fill the Secret from its stale cache. It
# deletes such a Secret once its cache catches up, or (when no later event
# reaches it) keeps it until its next resync, hours later. A GitOps tool puts
# a deleted Secret back on its next sync, as the re-apply here does; one
# filled for the old ServiceAccount is deleted first, as meshctl join does
# and as its hint tells a person to.
token_filled() {
  local c sa_uid filled_for
  for c in "${CLUSTERS[@]}"; do
    sa_uid=$(kc "$c" get serviceaccount -n calico-system tigera-federation-remote-cluster -o jsonpath='{.metadata.uid}')
    filled_for=$(kc "$c" get secret -n calico-system tigera-federation-remote-cluster --ignore-not-found \
      -o jsonpath='{.metadata.annotations.kubernetes\.io/service-account\.uid} {.data.token}')
    if [[ -n "$filled_for" && "$filled_for" != "$sa_uid "* && "$filled_for" != " "* ]]; then
      kc "$c" delete secret -n calico-system tigera-federation-remote-cluster >>"$ARTIFACTS/render-apply-1-$c.log" 2>&1
      filled_for=""
    fi
    if [[ -z "$filled_for" ]]; then
      kc "$c" apply -k "$render_dir/$c" >>"$ARTIFACTS/render-apply-1-$c.log" 2>&1
      return 1
    fi
    [[ "$filled_for" == "$sa_uid "?* ]] || return 1
  done
}
wait_for 60 "each cluster's token controller filled the applied token Secret for its current ServiceAccount" token_filled
mark_audit
meshctl render iad pdx fra --out-dir "$render_dir" --allow-loopback-servers --include-credentials
expect_rc 0 "render with credentials"
check "render with credentials warns that the files hold tokens" grep -q \
  'every link Secret file (mode 0600) holds the federation tokens' <<<"$MESH_ERR"
check "render with credentials wrote nothing to any cluster (audit logs)" no_meshctl_writes
check "each link Secret now holds the remote's own federation token" bash -c \
  "for l in iad pdx fra; do for r in iad pdx fra; do [[ \$l == \$r ]] && continue
     want=\$(kubectl --context \$r get secret -n calico-system tigera-federation-remote-cluster -o jsonpath='{.data.token}' | base64 -d)
     f=\$(ls '$render_dir'/\$l/*-secret-remote-cluster-\$r.yaml)
     got=\$(sed -n 's/^  kubeconfig: \"\\(.*\\)\"\$/\\1/p' \"\$f\" | base64 -d | awk '/token:/ {print \$2}')
     [[ -n \"\$want\" && \"\$got\" == \"\$want\" ]] || exit 1
   done; done"
for c in "${CLUSTERS[@]}"; do kc "$c" apply -k "$render_dir/$c" >"$ARTIFACTS/render-apply-2-$c.log" 2>&1; done
wait_for 90 "every link is in sync in every Typha replica of the stand-ins" every_link_in_sync
harvest_secrets

echo "-- join after GitOps: nothing to do"
mark_audit
meshctl join iad pdx fra -o json "${JOIN_FLAGS[@]}"
expect_rc 0 "join over the applied render"
jqc "join finds every object unchanged" '[.objects[] | select(.action != "unchanged")] | length == 0'
jqc "join verifies all six links in sync" '[.links[] | select(.verified and .state == "in-sync")] | length == 6'
check "join wrote nothing (audit logs)" no_meshctl_writes
meshctl status iad pdx fra
expect_rc 0 "status of the rendered mesh is healthy"
rm -rf "$render_dir"
