# Helpers for the fault scenarios (20-…): meshctl in the background, signals,
# the audit log, clocks. Sourced after lib.sh. Assertions still use kubectl.

# meshctl_start ARGS...: like meshctl() from lib.sh, but in the background.
# Sets MESH_PID and MESH_BASE; meshctl_finish waits and sets MESH_RC/OUT/ERR.
meshctl_start() {
  local n
  n=$(($(cat "$ARTIFACTS/.count" 2>/dev/null || echo 0) + 1))
  echo "$n" >"$ARTIFACTS/.count"
  MESH_BASE="$ARTIFACTS/meshctl-$(printf %03d "$n")"
  printf '%q ' "$@" >"$MESH_BASE.cmd"
  NO_COLOR=1 "$MESHCTL" "$@" >"$MESH_BASE.out" 2>"$MESH_BASE.err" </dev/null &
  MESH_PID=$!
}

meshctl_finish() {
  set +e
  wait "$MESH_PID"
  MESH_RC=$?
  set -e
  echo "$MESH_RC" >"$MESH_BASE.rc"
  MESH_OUT="$(cat "$MESH_BASE.out")"
  MESH_ERR="$(cat "$MESH_BASE.err")"
}

# handlers_installed PID: the process catches SIGINT (bit 1) and SIGTERM
# (bit 14), read from /proc/PID/status SigCgt. Before that a signal would not
# reach meshctl's handler (background jobs of a script even ignore SIGINT).
handlers_installed() {
  local mask
  mask=$(awk '/^SigCgt:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
  [[ -n "$mask" ]] && (((16#$mask & 16#4002) == 16#4002))
}

# wait_handlers PID: up to 10 s.
wait_handlers() {
  local i
  for ((i = 0; i < 1000; i++)); do
    handlers_installed "$1" && return 0
    kill -0 "$1" 2>/dev/null || return 1
    sleep 0.01
  done
  return 1
}

now_ms() { date +%s%3N; }

# audit_mark CLUSTER: the current line count of the cluster's audit log.
audit_mark() { wc -l <"$LAB_DIR/clusters/$1/audit.log"; }

# Counts what meshctl asked CLUSTER's API server to change after line MARK of
# its audit log (access reviews are creates too, but change nothing; nor do
# server-side dry runs).
meshctl_writes_since() {
  tail -n +"$(($2 + 1))" "$LAB_DIR/clusters/$1/audit.log" | jq -cR 'fromjson? // empty' |
    jq -s '[.[] | select((.userAgent // "" | startswith("meshctl/")) and
                 (.verb | IN("create", "update", "patch", "delete", "deletecollection")) and
                 .objectRef.apiGroup != "authorization.k8s.io" and
                 (.requestURI | contains("dryRun=All") | not))] | length'
}
declare -A mark
mark_audit() { local c; for c in "${CLUSTERS[@]}"; do mark[$c]=$(audit_mark "$c"); done; }
# no_meshctl_writes: none since mark_audit, in any cluster.
no_meshctl_writes() {
  local c
  for c in "${CLUSTERS[@]}"; do [[ "$(meshctl_writes_since "$c" "${mark[$c]}")" == 0 ]] || return 1; done
}

# wait_meshctl_write CLUSTER MARK SECONDS [URI_REGEX]: polls (every 10 ms)
# until meshctl's first write (a PATCH: server-side apply) after line MARK,
# to a requestURI matching URI_REGEX, is in the audit log.
wait_meshctl_write() {
  local file="$LAB_DIR/clusters/$1/audit.log" from=$(($2 + 1)) deadline=$((SECONDS + $3)) uri="${4:-}"
  while ((SECONDS < deadline)); do
    if tail -n "+$from" "$file" | grep -E "\"requestURI\":\"[^\"]*${uri}[^\"]*\",\"verb\":\"patch\"" |
      grep -q '"userAgent":"meshctl/'; then
      return 0
    fi
    sleep 0.01
  done
  return 1
}

# rccs_consistent CLUSTER [REPORT_JSON]: every RemoteClusterConfiguration in
# the cluster points at a Secret that exists, and calico-typha's Role and
# RoleBinding for it exist (kubectl) — unless the join report (if given) says
# that link was not (completely) written. Prints the offending links.
rccs_consistent() {
  local ctx="$1" report="${2:-}" bad=0 rcc secret ns
  while read -r rcc secret ns; do
    [[ -n "$rcc" ]] || continue
    if kc "$ctx" get secret -n "$ns" "$secret" >/dev/null 2>&1 &&
      kc "$ctx" get role -n "$ns" "remote-cluster-secret-access-$rcc" >/dev/null 2>&1 &&
      kc "$ctx" get rolebinding -n "$ns" "remote-cluster-secret-access-$rcc" >/dev/null 2>&1; then
      continue
    fi
    if [[ -n "$report" ]] && jq -e --arg l "$ctx" --arg r "$rcc" \
      'any(.links[]; .local == $l and .remote == $r and .written == false)' <<<"$report" >/dev/null; then
      echo "$ctx <- $rcc incomplete, and the report says so"
      continue
    fi
    echo "$ctx <- $rcc: RCC without its Secret/Role/RoleBinding, not reported" >&2
    bad=1
  done < <(kc "$ctx" get remoteclusterconfigurations.projectcalico.org -o json |
    jq -r '.items[] | [.metadata.name, .spec.clusterAccessSecret.name, (.spec.clusterAccessSecret.namespace // "calico-system")] | @tsv')
  return "$bad"
}

# mesh_converges DESCRIPTION: a re-run of the full join exits 0 and status
# exits 0 (every link healthy). After a fault, Typha in the other clusters
# may hold a failure it never takes back (a stale failure, exit 6): as an
# operator would, the join restarts Typha there (--restart-stale-typha).
mesh_converges() {
  meshctl join iad pdx fra -o json "${JOIN_FLAGS[@]}" --restart-stale-typha
  expect_rc 0 "$1: the re-run converges"
  meshctl status iad pdx fra -o json
  expect_rc 0 "$1: status is healthy"
}
