# The bad-input corpus runner. Sourced by test/e2e/scenarios/01-bad-input.sh
# (after test/e2e/lib.sh), against the fresh lab of the e2e suite: run it with
#   MESHCTL=build/meshctl E2E_ONLY=bad-input test/e2e/run.sh
#
# Each directory test/bad-input/NN-name/ is one broken input:
#   case.sh         sourced in a subshell; sets ARGS (meshctl's arguments) and may
#                   define prepare (build the broken input) and cleanup (undo what
#                   prepare did to the lab; always runs). Optional settings:
#                   EXPECT_REQUESTS=1   meshctl reaches an API server: its requests
#                                       must show in the audit logs (so the
#                                       no-write check is not blind); by default
#                                       (0) it must make no request at all, as a
#                                       broken kubeconfig is refused before any
#                                       cluster is contacted
#                   PASSTHROUGH_REGEX   stderr lines that are an exec plugin's own
#                                       (passed through, as kubectl does); they
#                                       must appear and are not meshctl's line
#                   MIN_SECONDS/MAX_SECONDS  bounds on meshctl's run time
#   expected.rc     the exit code
#   expected.regex  an extended regex meshctl's one stderr line must match
#
# Cases get CASE_TMP (a private scratch directory) and CASE_KUBECONFIG (a
# flattened JSON copy of the lab's kubeconfig, generated now so certificates
# and ports are real) and edit it with kubeconfig_edit. Keys and certificates
# are generated at run time; none is committed.
#
# For every case the runner asserts: the exit code; stderr is exactly one
# non-empty line (besides passed-through plugin lines) that matches the regex;
# stdout is empty; the kubeconfig and the working directory are unchanged; no
# meshctl-managed object appeared or changed in any cluster (kubectl); and,
# from the API servers' audit logs, meshctl made no create/update/patch/delete
# request while the case ran (access/rules reviews, which store nothing, aside).

CORPUS_DIR="$REPO_ROOT/test/bad-input"
CORPUS_TMP="$LAB_DIR/bad-input"
CORPUS_WINDOWS="$CORPUS_TMP/windows"

# kubeconfig_edit JQ_FILTER [JQ_ARGS...]: rewrites CASE_KUBECONFIG in place.
kubeconfig_edit() {
  local filter="$1"; shift
  jq "$@" "$filter" "$CASE_KUBECONFIG" >"$CASE_KUBECONFIG.new"
  mv "$CASE_KUBECONFIG.new" "$CASE_KUBECONFIG"
}

# kubeconfig_set_user CONTEXT USER_JSON: the context's user entry becomes USER_JSON.
kubeconfig_set_user() {
  local user
  user=$(jq -r --arg c "$1" '.contexts[] | select(.name == $c) | .context.user' "$CASE_KUBECONFIG")
  kubeconfig_edit '(.users[] | select(.name == $u) | .user) = $body' --arg u "$user" --argjson body "$2"
}

# kubeconfig_set_cluster_field CONTEXT FIELD VALUE: sets one field of the context's cluster.
kubeconfig_set_cluster_field() {
  local cluster
  cluster=$(jq -r --arg c "$1" '.contexts[] | select(.name == $c) | .context.cluster' "$CASE_KUBECONFIG")
  kubeconfig_edit '(.clusters[] | select(.name == $n) | .cluster[$f]) = $v' --arg n "$cluster" --arg f "$2" \
    --arg v "$3"
}

# A script in CASE_TMP that stands in for an exec credential plugin.
write_plugin() {
  local path="$CASE_TMP/$1"
  printf '#!/bin/sh\n%s\n' "$2" >"$path"
  chmod 700 "$path"
  echo "$path"
}

# exec_user COMMAND: a client.authentication.k8s.io/v1 exec user running COMMAND.
exec_user() {
  jq -n --arg cmd "$1" --arg hint "${2:-}" \
    '{exec: ({apiVersion: "client.authentication.k8s.io/v1", command: $cmd, interactiveMode: "Never"}
             + (if $hint == "" then {} else {installHint: $hint} end))}'
}

# Every meshctl-managed object of every cluster, with resource versions. A
# cluster whose RCC API a case removed is listed without that kind; one whose
# API server a case stopped is marked as not answering (nothing can be written
# to it then).
corpus_snapshot() {
  local ctx
  for ctx in "${CLUSTERS[@]}"; do
    if ! kc "$ctx" get --raw /readyz >/dev/null 2>&1; then
      echo "(API server not answering)"
    elif kc "$ctx" get crd remoteclusterconfigurations.projectcalico.org >/dev/null 2>&1; then
      managed_objects "$ctx"
    else
      echo "(no RemoteClusterConfiguration API)"
      CLUSTER_KINDS=clusterroles,clusterrolebindings managed_objects "$ctx"
    fi | sed "s|^|$ctx |"
  done
}

now_rfc3339() { date -u +%Y-%m-%dT%H:%M:%S.%6NZ; }

# corpus_case DIR: runs one case in a subshell; assertions land in RESULTS.
corpus_case() {
  local dir="$1" name
  name=$(basename "$dir")
  echo "-- $name"
  # Not `( ... ) || fail`: errexit would be off inside the subshell, and a
  # broken prepare step would go unnoticed.
  local rc
  set +e
  (
    set -euo pipefail
    CASE_TMP="$CORPUS_TMP/$name"
    CASE_KUBECONFIG="$CASE_TMP/kubeconfig"
    mkdir -p "$CASE_TMP/cwd"
    chmod 700 "$CASE_TMP"
    kubectl config view --raw --flatten -o json >"$CASE_KUBECONFIG"
    ARGS=()
    EXPECT_REQUESTS=0
    PASSTHROUGH_REGEX=""
    MIN_SECONDS=0
    MAX_SECONDS=30
    prepare() { :; }
    cleanup() { :; }
    # shellcheck source=/dev/null
    source "$dir/case.sh"
    trap cleanup EXIT
    prepare
    local want_rc want_regex before after kc_sum started ended t0 elapsed
    want_rc=$(cat "$dir/expected.rc")
    want_regex=$(cat "$dir/expected.regex")
    before=$(corpus_snapshot)
    kc_sum=$(sha256sum "$CASE_KUBECONFIG")
    started=$(now_rfc3339)
    t0=$(date +%s%N)
    cd "$CASE_TMP/cwd"  # this subshell's only relative path: meshctl must leave it empty
    meshctl "${ARGS[@]}"
    elapsed=$((($(date +%s%N) - t0) / 1000000))
    ended=$(now_rfc3339)
    echo "$name $started $ended $EXPECT_REQUESTS" >>"$CORPUS_WINDOWS"

    expect_rc "$want_rc" "$name: exit code"
    local own_lines="$MESH_ERR"
    if [[ -n "$PASSTHROUGH_REGEX" ]]; then
      check "$name: the plugin's own stderr is passed through" grep -Eq "$PASSTHROUGH_REGEX" <<<"$MESH_ERR"
      own_lines=$(grep -Ev "$PASSTHROUGH_REGEX" <<<"$MESH_ERR" || true)
    fi
    local count
    count=$(grep -c . <<<"$own_lines" || true)
    if [[ "$count" == 1 && "$(wc -l <<<"$own_lines")" == 1 ]]; then
      pass "$name: exactly one line on stderr"
    else
      fail "$name: expected one line on stderr, got $count: $own_lines"
    fi
    if grep -Eq -- "$want_regex" <<<"$own_lines"; then
      pass "$name: the line names the context, the cause and the fix"
    else
      fail "$name: the line does not match /$want_regex/: $own_lines"
    fi
    check "$name: nothing on stdout" test -z "$MESH_OUT"
    check "$name: the kubeconfig is unchanged" sha256sum -c --quiet <<<"$kc_sum"
    check "$name: no file appeared in the working directory" test -z "$(ls -A "$CASE_TMP/cwd")"
    check "$name: within ${MIN_SECONDS}-${MAX_SECONDS}s (took ${elapsed}ms)" \
      test "$elapsed" -ge $((MIN_SECONDS * 1000)) -a "$elapsed" -le $((MAX_SECONDS * 1000))
    after=$(corpus_snapshot)
    if [[ "$before" == "$after" ]]; then
      pass "$name: no managed object added or changed in any cluster"
    else
      fail "$name: managed objects changed: $(diff <(echo "$before") <(echo "$after") | head -5)"
    fi
  )
  rc=$?
  set -e
  [[ "$rc" == 0 ]] || fail "$name: the case itself failed to run (exit $rc)"
}

# Reads meshctl's requests from every cluster's audit log and attributes them
# to the case whose time window holds them: no case may have written, and a
# case that must reach a server must show its requests (so this check is not
# blind).
corpus_audit() {
  local corpus_start="$1" events="$CORPUS_TMP/meshctl-audit.jsonl"
  # Audit events are written when a request completes; give the last ones a moment.
  sleep 2
  local ctx
  for ctx in "${CLUSTERS[@]}"; do
    audit_events "$LAB_DIR/clusters/$ctx/audit.log" | jq -c --arg since "$corpus_start" --arg ctx "$ctx" '
      select((.userAgent // "") | startswith("meshctl/"))
      | select(.requestReceivedTimestamp >= $since)
      | {cluster: $ctx, at: .requestReceivedTimestamp, verb, uri: .requestURI,
         resource: (.objectRef.resource // "")}'
  done >"$events"
  local name started ended want_requests
  while read -r name started ended want_requests; do
    local mine writes requests
    mine=$(jq -c --arg s "$started" --arg e "$ended" 'select(.at >= $s and .at <= $e)' "$events")
    requests=$(grep -c . <<<"$mine" || true)
    # jq -s and first 3, not `| head -3`: head exiting early would kill jq with SIGPIPE (exit 141).
    writes=$(jq -cs '[.[] | select(.verb | IN("create", "update", "patch", "delete", "deletecollection"))
                     | select(.resource | endswith("reviews") | not)] | .[:3][]' <<<"$mine")
    if [[ "$want_requests" == planted ]]; then
      check "the audit check detects meshctl's (dry-run) write requests" test -n "$writes"
      continue
    fi
    if [[ -z "$writes" ]]; then
      pass "$name: no write by meshctl in the audit logs ($requests requests read)"
    else
      fail "$name: meshctl wrote: $writes"
    fi
    if [[ "$want_requests" == 1 ]]; then
      check "$name: the audit logs show meshctl's requests" test "$requests" -gt 0
    else
      check "$name: refused before any cluster was contacted" test "$requests" -eq 0
    fi
  done <"$CORPUS_WINDOWS"
}

# Every case is listed in docs/bad-input.md with its exit code.
corpus_documented() {
  local doc="$REPO_ROOT/docs/bad-input.md" dir name
  for dir in "$CORPUS_DIR"/[0-9]*/; do
    name=$(basename "$dir")
    check "$name is documented with exit $(cat "$dir/expected.rc")" \
      grep -Eq "^\| \`$name\` \|.*\| $(cat "$dir/expected.rc") \|$" "$doc"
  done
}

run_corpus() {
  rm -rf "$CORPUS_TMP"
  mkdir -p "$CORPUS_TMP"
  : >"$CORPUS_WINDOWS"
  local corpus_start dir
  corpus_start=$(now_rfc3339)
  for dir in "$CORPUS_DIR"/[0-9]*/; do
    if [[ -n "${CORPUS_ONLY:-}" && "$(basename "$dir")" != *"$CORPUS_ONLY"* ]]; then
      continue
    fi
    corpus_case "${dir%/}"
  done
  # A control for the audit check: a dry-run join sends PATCH requests (with
  # dryRun=All: nothing is stored, but they are audited as patches), which the
  # check must see, or it proves nothing.
  local started
  started=$(now_rfc3339)
  meshctl join iad pdx --dry-run "${JOIN_FLAGS[@]}"
  expect_rc 0 "control: a dry-run join"
  echo "control-dry-run-join $started $(now_rfc3339) planted" >>"$CORPUS_WINDOWS"
  corpus_audit "$corpus_start"
  corpus_documented
}
