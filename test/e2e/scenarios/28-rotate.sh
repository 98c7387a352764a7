# Credential rotation (issue 12, part 2), on a mesh made by join: a new
# federation token for a cluster, handed to every peer, each link confirmed
# in sync, then the old token revoked, which the remote API server then
# refuses (kubectl: Unauthorized). A rotation stopped half way (token
# controller off, then ten SIGINTs at points spread over a rotation's
# length) never breaks a link, and a re-run always ends in the same state:
# one token Secret, every peer holding it, every link in sync. Join after
# rotations changes nothing. Leaves the full mesh joined.
source "$REPO_ROOT/test/e2e/lib_faults.sh"

FED=tigera-federation-remote-cluster
secret_dir="$LAB_DIR/rotate"  # tokens: never in the artefacts
rm -rf "$secret_dir"
(umask 077 && mkdir -p "$secret_dir")

meshctl teardown iad pdx fra
expect_rc 0 "start from an empty mesh"
meshctl join iad pdx fra "${JOIN_FLAGS[@]}"
expect_rc 0 "join iad pdx fra"

# meshctl's federation token Secrets of CLUSTER, by name.
token_secrets() {
  kc "$1" get secrets -n calico-system -l app.kubernetes.io/managed-by=meshctl,meshctl.projectcalico.org/role=federation \
    -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}'
}
current_token() {
  kc "$1" get secret -n calico-system "$(token_secrets "$1" | sort -V | tail -1)" -o jsonpath='{.data.token}' | base64 -d
}
# Every peer of REMOTE stores REMOTE's current token, and each stored
# kubeconfig reads REMOTE's pods (the link's credential works).
peers_hold_current() {
  local remote="$1" want l
  want="$(current_token "$remote")"
  for l in "${CLUSTERS[@]}"; do
    [[ "$l" == "$remote" ]] && continue
    stored_kubeconfig "$l" "$remote" "$secret_dir/stored"
    [[ "$(awk '/token:/ {print $2}' "$secret_dir/stored")" == "$want" ]] || return 1
    kubectl --kubeconfig "$secret_dir/stored" get pods -A >/dev/null || return 1
  done
}
# Every stored credential for REMOTE still authenticates (whatever it holds).
links_to_work() {
  local remote="$1" l
  for l in "${CLUSTERS[@]}"; do
    [[ "$l" == "$remote" ]] && continue
    stored_kubeconfig "$l" "$remote" "$secret_dir/stored"
    kubectl --kubeconfig "$secret_dir/stored" get pods -A >/dev/null || return 1
  done
}
one_token_secret() { [[ $(token_secrets "$1" | grep -c .) == 1 ]]; }
rotation_done() { one_token_secret "$1" && peers_hold_current "$1"; }

echo "-- rotate iad"
current_token iad >"$secret_dir/iad-old-token"
stored_kubeconfig pdx iad "$secret_dir/pdx-iad.kubeconfig"
meshctl rotate iad --dry-run -o json
expect_rc 0 "a dry run of rotating iad"
jqc "the dry run would update both peers and delete the old token Secret" \
  '.clusters[0] | .state == "would-rotate" and (.updated | sort) == ["fra", "pdx"] and .revoked == ["'$FED'"]'
check "the dry run changed nothing" bash -c "[[ \$(kubectl --context iad get secrets -n calico-system -l meshctl.projectcalico.org/role=federation -o name) == secret/$FED ]]"
t0=$(now_ms)
meshctl rotate iad -o json
rotate_ms=$(($(now_ms) - t0))
expect_rc 0 "rotate iad"
jqc "iad now has generation 1, both peers updated and in sync, the old Secret deleted" \
  '.clusters[0] | .state == "rotated" and .credential == "'$FED'-r1" and (.updated | sort) == ["fra", "pdx"] and
   ([.links[] | select(.state == "in-sync")] | length) == 2 and .revoked == ["'$FED'"]'
check "iad's only federation token Secret is generation 1" bash -c "[[ \$(kubectl --context iad get secrets -n calico-system -l meshctl.projectcalico.org/role=federation -o name) == secret/$FED-r1 ]]"
check "every peer stores iad's new token, and it reads iad's pods" peers_hold_current iad
# kube-apiserver caches a successful token check for 10 s, so the revoked
# token is refused once that entry has expired, not at the moment of deletion.
old_token_refused() {
  local out
  ! out=$(kubectl --kubeconfig "$secret_dir/pdx-iad.kubeconfig" --token "$(cat "$secret_dir/iad-old-token")" get pods -A 2>&1) &&
    grep -q Unauthorized <<<"$out"
}
wait_for 30 "iad's API server refuses the old token (kubectl: Unauthorized)" old_token_refused
harvest_secrets
meshctl status iad pdx fra -o json
expect_rc 0 "status after the rotation is healthy"
jqc "status dates iad's links from the new token Secret" \
  '[.links[] | select(.remote == "iad") | .credential.ageSeconds < 120] == [true, true]'

echo "-- a rotation stopped half way, then finished by a re-run"
"$LAB" token-controller --cluster fra off --dir "$LAB_DIR" >/dev/null
meshctl rotate fra --token-wait 3s -o json
expect_rc 1 "rotate fra while its token controller is off: the new token is never issued"
jqc "the failure names the unfilled Secret and says the old credential is untouched" \
  '.clusters[0].state == "failed" and (.clusters[0].detail | test("did not fill Secret calico-system/'$FED'-r1.*old credential is untouched"))'
check "every stored credential for fra still works" links_to_work fra
"$LAB" token-controller --cluster fra on --dir "$LAB_DIR" >/dev/null
meshctl rotate fra -o json
expect_rc 0 "the re-run finishes the rotation"
jqc "the re-run resumed generation 1 instead of starting another" \
  '.clusters[0] | .resumed and .credential == "'$FED'-r1" and .revoked == ["'$FED'"]'
check "fra has one token Secret and every peer holds it" rotation_done fra

echo "-- ten interrupts at points spread over a rotation of pdx (${rotate_ms} ms)"
for round in 0 1 2 3 4 5 6 7 8 9; do
  delay_ms=$((rotate_ms * round / 10 + 20))
  meshctl_start rotate pdx -o json
  if ! wait_handlers "$MESH_PID"; then fail "round $round: meshctl did not start"; meshctl_finish; continue; fi
  sleep "$(printf '0.%03d' $((delay_ms % 1000)))"
  sleep $((delay_ms / 1000))
  kill -INT "$MESH_PID" 2>/dev/null || true
  meshctl_finish
  echo "$MESH_RC" >>"$secret_dir/interrupt-exits"
  check "round $round: interrupted after ${delay_ms} ms (exit $MESH_RC), every stored credential for pdx still works" \
    links_to_work pdx
  meshctl rotate pdx -o json
  expect_rc 0 "round $round: the re-run ends the rotation"
  check "round $round: pdx has one token Secret, every peer holds it and it works" rotation_done pdx
done
echo "  (exit codes of the interrupted runs: $(sort "$secret_dir/interrupt-exits" | uniq -c | tr '\n' ' '))"
harvest_secrets

echo "-- after the rotations"
meshctl status iad pdx fra
expect_rc 0 "status is healthy"
meshctl join iad pdx fra -o json "${JOIN_FLAGS[@]}"
expect_rc 0 "join after the rotations"
jqc "join finds every object unchanged (it uses each cluster's current token Secret)" \
  '[.objects[] | select(.action != "unchanged")] | length == 0'
rm -rf "$secret_dir"
