# A cluster that does not answer (its kube-apiserver frozen with SIGSTOP:
# connections are accepted by the kernel and then hang), and one that answers
# slowly (frozen 200 ms of every 400 ms). With pdx frozen, status, contexts
# --check and join --dry-run finish within their documented bounds, report
# pdx as unreachable (exit 4) and still report iad and fra. With pdx slow, a
# join with work to do converges. Leaves the full mesh joined and in sync.
source "$REPO_ROOT/test/e2e/lib_faults.sh"

resume() { "$LAB" resume-apiserver --cluster pdx --dir "$LAB_DIR" >/dev/null 2>&1 || true; }
trap resume EXIT

# elapsed_below SECONDS: the last timed meshctl run took less than that.
elapsed_below() { ((elapsed_ms < $1 * 1000)); }
timed() {
  local t0
  t0=$(now_ms)
  meshctl "$@"
  elapsed_ms=$(($(now_ms) - t0))
  echo "  (meshctl $1 took ${elapsed_ms} ms, exit $MESH_RC)"
}

"$LAB" pause-apiserver --cluster pdx --dir "$LAB_DIR" >/dev/null

# status: clusters read in parallel, then stored credentials probed in parallel;
# each try bounded by T = min(--request-timeout, 10 s) (and the 5 s / 3 s
# connect timeouts), one retry: at most 2 x 2 x T + backoff (docs/reliability.md, "Faults").
timed status iad pdx fra -o json
expect_rc 4 "status with pdx frozen"
check "status finished within 2 x (5 s + 3 s) connect timeouts + 10 s" elapsed_below 30
jqc "pdx is reported unreachable, with a timeout" \
  'any(.clusters[]; .name == "pdx" and .reachable == false and (.error | test("Timeout|timed out")))'
jqc "iad and fra are reachable" '[.clusters[] | select(.reachable)] | map(.name) | sort == ["fra", "iad"]'
jqc "iad <- fra and fra <- iad are reported in sync" \
  '[.links[] | select((.local == "iad" and .remote == "fra") or (.local == "fra" and .remote == "iad")) | select(.state == "in-sync" and .healthy)] | length == 2'
jqc "iad <- pdx: the stored credential is reported unreachable" \
  'any(.links[]; .local == "iad" and .remote == "pdx" and .credential.result == "unreachable")'

# A shorter --request-timeout shortens the bound.
timed --request-timeout 3s status iad pdx fra -o json
expect_rc 4 "status --request-timeout 3s with pdx frozen"
check "it finished within 2 x 2 x 3 s + 10 s" elapsed_below 22
jqc "the iad <-> fra rows are still there" \
  '[.links[] | select(.local != "pdx" and .remote != "pdx")] | length == 2'

timed --request-timeout 3s contexts --check -o json
expect_rc 4 "contexts --check with pdx frozen"
check "contexts --check finished within 2 x 3 s + 10 s" elapsed_below 16
check "contexts --check: pdx fails, iad and fra are ok" bash -c \
  "jq -e '[.contexts[] | select(.name == \"pdx\" or .name == \"iad\" or .name == \"fra\") | {(.name): .check}] | add
          | (.pdx | test(\"Timeout\")) and .iad == \"ok\" and .fra == \"ok\"' <<<'$MESH_OUT'"

# join: preflight requests are reads, retried 3 times: 4 x --request-timeout + backoff.
timed --request-timeout 3s join iad pdx fra --dry-run -o json "${JOIN_FLAGS[@]}"
expect_rc 4 "join --dry-run with pdx frozen"
check "join --dry-run finished within 4 x 3 s + 10 s" elapsed_below 22
jqc "the preflight problem is pdx's, a timeout" \
  '(.preflightProblems | length) >= 1 and all(.preflightProblems[]; .cluster == "pdx" and .reason == "Timeout")'

"$LAB" resume-apiserver --cluster pdx --dir "$LAB_DIR" >/dev/null
# Where Typha's watch of pdx ended while pdx was frozen, it reported the
# failure and never takes it back: join restarts Typha there (stale failures).
meshctl join iad pdx fra -o json "${JOIN_FLAGS[@]}" --restart-stale-typha
expect_rc 0 "once pdx is resumed, join re-verifies every link (restarting Typha where a failure is stale)"
meshctl status iad pdx fra --wait --timeout 60s
expect_rc 0 "once pdx is resumed the mesh is healthy again"

# Slow, not stopped: pdx frozen 200 ms of every 400 ms while a join with work
# to do runs (pdx's federation identity and links deleted).
meshctl leave pdx
expect_rc 0 "pdx leaves (work for the next join)"
slow_for=60
"$LAB" slow-apiserver --cluster pdx --stopped 200ms --period 400ms --for "${slow_for}s" --dir "$LAB_DIR" \
  >"$ARTIFACTS/slow-apiserver.log" 2>&1 &
slow_pid=$!
sleep 1
timed status pdx -o json --no-credential-check
echo "  (a status of pdx alone took ${elapsed_ms} ms while slowed)"
timed join iad pdx fra -o json "${JOIN_FLAGS[@]}"
expect_rc 0 "join converges while pdx is slow"
jqc "all 6 links in sync" '[.links[] | select(.state == "in-sync")] | length == 6'
check "the slowing was still going on when join finished" kill -0 "$slow_pid"
kill -TERM "$slow_pid" 2>/dev/null || true
wait "$slow_pid" || true
check "slow-apiserver stopped its cycles and left pdx running" grep -q 'slowing ended' "$ARTIFACTS/slow-apiserver.log"
meshctl join iad pdx fra -o json "${JOIN_FLAGS[@]}" --restart-stale-typha
expect_rc 0 "after the slow period join re-verifies every link (restarting Typha where a failure is stale)"
meshctl status iad pdx fra --wait --timeout 60s
expect_rc 0 "status healthy after the slow period"
trap - EXIT
harvest_secrets
