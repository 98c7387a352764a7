# Helpers shared by the end-to-end scenarios. Assertions use kubectl (a tool
# nobody here wrote), never meshctl's own view of the world.
# Expects: MESHCTL, KUBECONFIG, LAB, LAB_DIR, ARTIFACTS, RESULTS.

kc() { local ctx="$1"; shift; kubectl --context "$ctx" "$@"; }

_record() { echo "$1 $2" >>"$RESULTS"; }
pass() { echo "  ok   $*"; _record pass "$*"; }
fail() { echo "  FAIL $*" >&2; _record fail "$*"; }

# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
  local what="$1"; shift
  if "$@" >/dev/null 2>&1; then pass "$what"; else fail "$what"; fi
}

# meshctl ARGS...: runs meshctl, keeping stdout/stderr as artefacts for the
# secrets scan; sets MESH_OUT, MESH_ERR, MESH_RC.
# The run counter lives in a file: each scenario runs in its own shell.
meshctl() {
  local n
  n=$(($(cat "$ARTIFACTS/.count" 2>/dev/null || echo 0) + 1))
  echo "$n" >"$ARTIFACTS/.count"
  local base="$ARTIFACTS/meshctl-$(printf %03d "$n")"
  printf '%q ' "$@" >"$base.cmd"
  set +e
  NO_COLOR=1 "$MESHCTL" "$@" >"$base.out" 2>"$base.err" </dev/null
  MESH_RC=$?
  set -e
  echo "$MESH_RC" >"$base.rc"
  MESH_OUT="$(cat "$base.out")"
  MESH_ERR="$(cat "$base.err")"
}

# expect_rc N DESCRIPTION: checks the last meshctl exit code.
expect_rc() {
  if [[ "$MESH_RC" == "$1" ]]; then
    pass "$2 (exit $1)"
  else
    fail "$2: expected exit $1, got $MESH_RC; stderr: $(echo "$MESH_ERR" | tail -3)"
  fi
}

MANAGED="app.kubernetes.io/managed-by=meshctl"
KINDS="serviceaccounts,secrets,roles,rolebindings"
CLUSTER_KINDS="clusterroles,clusterrolebindings,remoteclusterconfigurations.projectcalico.org,ippools"

# Every meshctl-labelled object of a cluster, one "kind/name resourceVersion" per line.
managed_objects() {
  local ctx="$1"
  {
    kc "$ctx" get "$KINDS" -A -l "$MANAGED" -o jsonpath='{range .items[*]}{.kind}/{.metadata.namespace}/{.metadata.name} {.metadata.resourceVersion}{"\n"}{end}'
    kc "$ctx" get "$CLUSTER_KINDS" -l "$MANAGED" -o jsonpath='{range .items[*]}{.kind}/{.metadata.name} {.metadata.resourceVersion}{"\n"}{end}'
  } | sort
}
count_managed() { managed_objects "$1" | grep -c . || true; }

# The kubeconfig stored for link LOCAL <- REMOTE, decoded, into a 0600 file.
stored_kubeconfig() {
  local local_ctx="$1" remote="$2" out="$3"
  (umask 077; kc "$local_ctx" get secret -n calico-system "remote-cluster-$remote" -o jsonpath='{.data.kubeconfig}' | base64 -d >"$out")
}

typha_logs() { kc "$1" logs -n calico-system -l k8s-app=calico-typha --tail=-1 --prefix 2>/dev/null; }

# wait_for SECONDS DESCRIPTION COMMAND...: polls until the command succeeds.
wait_for() {
  local limit="$1" what="$2"; shift 2
  local deadline=$((SECONDS + limit))
  while ((SECONDS < deadline)); do
    if "$@" >/dev/null 2>&1; then pass "$what"; return 0; fi
    sleep 1
  done
  fail "$what (not within ${limit}s)"
  return 0
}

CLUSTERS=(iad pdx fra)
JOIN_FLAGS=(--allow-loopback-servers --timeout 90s)

# Remembers every credential that exists in the lab right now (federation
# tokens, stored kubeconfig tokens, the admin client key), so the final scan
# can prove meshctl never printed one. Kept outside ARTIFACTS.
harvest_secrets() {
  local file="$LAB_DIR/secret-values"
  (
    umask 077
    for ctx in "${CLUSTERS[@]}"; do
      kc "$ctx" get secrets -A -o json 2>/dev/null |
        jq -r '.items[] | select(.type=="kubernetes.io/service-account-token") | .data.token // empty | @base64d'
      kc "$ctx" get secrets -A -l "$MANAGED" -o json 2>/dev/null |
        jq -r '.items[] | .data.kubeconfig // empty | @base64d' | awk '/token:/ {print $2}'
    done
    kubectl config view --raw -o json | jq -r '.users[].user["client-key-data"] // empty | @base64d' |
      grep -v -- '-----' | head -3
  ) >>"$file" || true
}

# jqc DESCRIPTION FILTER: passes when FILTER is true of the last meshctl stdout.
# audit_events FILE: the complete JSON events of a lab audit log, one per
# line. kube-apiserver appends while we read, so the last line can be half
# written; it is left for the next reader instead of failing jq.
audit_events() { jq -cR 'fromjson? // empty' "$1"; }

jqc() {
  if jq -e "$2" >/dev/null 2>&1 <<<"$MESH_OUT"; then pass "$1"; else fail "$1"; fi
}
