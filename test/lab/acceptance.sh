#!/usr/bin/env bash
# Acceptance tests of the lab itself, driven by kubectl only (never meshctl).
# Brings up iad,pdx,fra in a temporary directory, checks the real control
# planes and the Typha / calico-kube-controllers stand-ins, and tears
# everything down again. Uses a short loss delay (8 s), a short Secret watch
# timeout (5 s) and a small log cap so that it stays quick. Then a second lab
# of the Calico flavours, and last 20 (ACCEPTANCE_START_CYCLES) consecutive
# start/stop cycles of a one-cluster lab from a cold page cache, the
# condition of the old start-up flake.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LAB="$here/lab"
TMPBASE="${ACCEPTANCE_TMP:-/tmp}" # where the labs go (default /tmp)
DIR="$(mktemp -d "$TMPBASE/meshctl-lab-acceptance.XXXXXX")"
LOSS=8
CAP=200000
pass=0
fail=0

SDIR="" # the start/stop cycles' lab (last part)

cleanup() {
  "$LAB" down --dir "$DIR" >/dev/null 2>&1 || true
  rm -rf "$DIR"
  if [[ -n "$SDIR" ]]; then
    "$LAB" down --dir "$SDIR" >/dev/null 2>&1 || true
    rm -rf "$SDIR" "$SDIR-bin" "$SDIR.err"
  fi
}
trap cleanup EXIT

ok() { echo "PASS: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }

# eventually SECONDS CMD...: retries CMD until it succeeds or time runs out.
eventually() {
  local limit=$1; shift
  local end=$((SECONDS + limit))
  while ((SECONDS < end)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  return 1
}
echeck() { local what=$1 limit=$2; shift 2; if eventually "$limit" "$@"; then ok "$what"; else bad "$what"; fi; }

typha_logs() { kubectl --context "$1" logs -n calico-system -l k8s-app=calico-typha --tail=-1 --prefix=false; }
pod_logs() { kubectl --context "$1" logs -n calico-system "$2" "${@:3}"; }
kc_logs() { kubectl --context "$1" logs -n calico-system deployment/calico-kube-controllers; }
# grep without -q: an early grep exit would SIGPIPE kubectl and fail the pipeline (pipefail).
typha_logs_has() { typha_logs "$1" | grep -F -- "$2" >/dev/null; }
pod_logs_has() { pod_logs "$1" "$2" | grep -F -- "$3" >/dev/null; }
kc_logs_has() { kc_logs "$1" | grep -F -- "$2" >/dev/null; }
pods() { kubectl --context "$1" get pod -n calico-system -l "k8s-app=$2" -o jsonpath='{.items[*].metadata.name}'; }
restarts() { kubectl --context "$1" get pod -n calico-system "$2" -o jsonpath='{.status.containerStatuses[0].restartCount}'; }
count_in() { pod_logs "$1" "$2" | grep -cF -- "$3" || true; }
metric() { # metric CLUSTER RCC [POD] -> gauge value of that (or the first) Typha pod
  local sel="-l k8s-app=calico-typha" ip port
  ip=$(kubectl --context "$1" get pod -n calico-system $sel -o jsonpath='{.items[0].status.hostIP}')
  port=$(kubectl --context "$1" get pod -n calico-system $sel \
    -o jsonpath='{.items[0].spec.containers[0].ports[?(@.name=="metrics")].containerPort}')
  curl -s --noproxy '*' "http://$ip:$port/metrics" | awk -v n="remote_cluster_name=\"$2\"" 'index($0, n) {print $2}'
}
metric_is() { [[ "$(metric "$1" "$2")" == "$3" ]]; }

echo "== lab up (dir $DIR)"
t0=$SECONDS
UPFLAGS=(--clusters iad,pdx,fra --dir "$DIR" --typha-replicas 2 --noncluster-typha --typha-loss-delay "${LOSS}s"
  --typha-log-max-bytes "$CAP" --typha-secret-watch-timeout 5s)
if KCFG=$("$LAB" up "${UPFLAGS[@]}" | tail -1); then
  ok "lab up took $((SECONDS - t0))s, kubeconfig $KCFG"
else
  bad "lab up failed"
  echo "0 passed, 1 failed"
  exit 1
fi
export KUBECONFIG="$KCFG"

again=$("$LAB" up "${UPFLAGS[@]}" | tail -1)
[[ "$again" == "$KCFG" ]] && ok "up is idempotent" || bad "second up printed '$again'"

for c in iad pdx fra; do
  check "$c serves v1.33.13" bash -c "kubectl --context $c get --raw /version | grep '\"gitVersion\": \"v1.33.13\"'"
done

# Token controller: a hand-made token Secret gets its token within seconds.
kubectl --context iad create serviceaccount probe -n default >/dev/null
kubectl --context iad apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Secret
metadata:
  name: probe-token
  namespace: default
  annotations:
    kubernetes.io/service-account.name: probe
type: kubernetes.io/service-account-token
EOF
has_token() { [[ -n "$(kubectl --context iad get secret probe-token -n default -o jsonpath='{.data.token}')" ]]; }
echeck "token Secret filled" 15 has_token

read -r -a IAD_PODS <<<"$(pods iad calico-typha)"
pod=${IAD_PODS[0]}
if out=$(kubectl logs -n calico-system -l k8s-app=calico-typha --context iad 2>&1) && grep -q "Typha starting up" <<<"$out"; then
  ok "kubectl logs of the Typha pods works"
else
  bad "kubectl logs: $out"
fi
if [[ "$(pod_logs iad "$pod" --tail=1 | wc -l)" == 1 ]] &&
  kubectl --context iad logs -n calico-system deployment/calico-typha --timestamps --since=1h 2>/dev/null | grep '^20..-..-..T' >/dev/null; then
  ok "kubectl logs honours --tail, --timestamps, --since"
else
  bad "kubectl logs options"
fi
fra_pod=$(pods fra calico-typha | cut -d' ' -f1)
if out=$(pod_logs fra "$fra_pod" --previous 2>&1); then bad "--previous without an earlier run: $out"; else
  grep -q "previous terminated container" <<<"$out" && ok "--previous without an earlier run: BadRequest" || bad "--previous: $out"
fi

# make_link LOCAL REMOTE VERBS ROUTING: LOCAL reads REMOTE through RCC REMOTE,
# Secret REMOTE-secret and Role remote-access-REMOTE in LOCAL's calico-system.
make_link() {
  local L=$1 R=$2 verbs=$3 routing=$4 sa="fed-$1" t=""
  kubectl --context "$R" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: ServiceAccount
metadata: {name: $sa, namespace: calico-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: $sa}
rules:
- apiGroups: [""]
  resources: [namespaces, serviceaccounts, services, endpoints, pods, nodes]
  verbs: [$verbs]
- apiGroups: [crd.projectcalico.org]
  resources: [hostendpoints, ipamblocks, ippools]
  verbs: [$verbs]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: $sa}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: $sa}
subjects: [{kind: ServiceAccount, name: $sa, namespace: calico-system}]
---
apiVersion: v1
kind: Secret
metadata:
  name: $sa
  namespace: calico-system
  annotations: {kubernetes.io/service-account.name: $sa}
type: kubernetes.io/service-account-token
EOF
  for _ in $(seq 30); do
    t=$(kubectl --context "$R" get secret -n calico-system "$sa" -o jsonpath='{.data.token}')
    [[ -n "$t" ]] && break
    sleep 1
  done
  local ca server kc="$DIR/$R-for-$L.kubeconfig"
  ca=$(kubectl --context "$R" get secret -n calico-system "$sa" -o jsonpath='{.data.ca\.crt}')
  server=$(kubectl config view --raw -o jsonpath="{.clusters[?(@.name==\"lab-$R\")].cluster.server}")
  cat >"$kc" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: $R, cluster: {server: "$server", certificate-authority-data: $ca}}]
users: [{name: $sa, user: {token: $(base64 -d <<<"$t")}}]
contexts: [{name: $sa-ctx, context: {cluster: $R, user: $sa}}]
current-context: $sa-ctx
EOF
  kubectl --context "$L" create secret generic "$R-secret" -n calico-system --from-literal=datastoreType=kubernetes \
    --from-file=kubeconfig="$kc" --dry-run=client -o yaml | kubectl --context "$L" apply -f - >/dev/null
  make_role "$L" "$R"
  kubectl --context "$L" apply -f - >/dev/null <<EOF
apiVersion: projectcalico.org/v3
kind: RemoteClusterConfiguration
metadata: {name: $R}
spec:
  clusterAccessSecret: {name: $R-secret, namespace: calico-system, kind: Secret}
  syncOptions: {overlayRoutingMode: $routing}
EOF
}
make_role() {
  kubectl --context "$1" apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: remote-access-$2, namespace: calico-system}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get, list, watch], resourceNames: [$2-secret]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: remote-access-$2, namespace: calico-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: remote-access-$2}
subjects: [{kind: ServiceAccount, name: calico-typha, namespace: calico-system}]
EOF
}

echo "== link iad <- pdx (overlay routing Enabled)"
make_link iad pdx "get, list, watch" Enabled
check "remote kubeconfig reads pdx nodes" kubectl --kubeconfig "$DIR/pdx-for-iad.kubeconfig" get nodes
INSYNC="Sending in-sync update for RemoteClusterConfiguration(pdx)"
all_iad_insync() { for p in "${IAD_PODS[@]}"; do pod_logs_has iad "$p" "$INSYNC" || return 1; done; }
echeck "every iad Typha replica logs in-sync for pdx" 30 all_iad_insync
check "Creating syncer line" typha_logs_has iad "Creating syncer for RemoteClusterConfiguration(pdx)"
echeck "gauge remote_cluster_connection_status{pdx} = 2" 10 metric_is iad pdx 2
line_ok() {
  pod_logs iad "$pod" | grep -E '^20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} \[INFO\]\[[0-9]+\] typha/wrappedcallbacks\.go [0-9]+: Sending in-sync update for RemoteClusterConfiguration\(pdx\)$' >/dev/null &&
    pod_logs iad "$pod" | grep -E ' Handling new RCC update Key=RemoteClusterConfiguration\(pdx\)$' >/dev/null &&
    ! typha_logs iad | grep -e 'remoteCluster=' -e ' rcc=' >/dev/null
}
check "line layout as Calico's formatter (in-sync without fields, Key= unquoted, no remoteCluster=)" line_ok
# Enabled: six watcher caches (pods, hostendpoints, profiles, nodes, ippools, ipamblocks).
caches_before_insync() { # CTX POD RCC -> InSync events between Creating syncer and the in-sync line
  pod_logs "$1" "$2" | awk -v c="Creating syncer for RemoteClusterConfiguration($3)" -v s="Sending in-sync update for RemoteClusterConfiguration($3)" \
    'index($0, c) {on=1; n=0} on && /Received InSync event from one of the watcher caches/ {n++} on && index($0, s) {print n; exit}'
}
[[ "$(caches_before_insync iad "$pod" pdx)" == 6 ]] && ok "routing Enabled: 6 resource types listed+watched" ||
  bad "routing Enabled: $(caches_before_insync iad "$pod" pdx) caches"
check "nodes are read from the remote (ListRoot nodes)" typha_logs_has iad 'Sending synced update ListRoot="/calico/resources/v3/projectcalico.org/nodes"'

# Chatter: the hook writes exactly N lines per pod now; in-sync stays one line.
n0=$(pod_logs iad "$pod" | wc -l)
"$LAB" typha-chatter --cluster iad --lines 40 --dir "$DIR" 2>/dev/null
n1=$(pod_logs iad "$pod" | wc -l)
chatter_only() { pod_logs iad "$pod" --tail=40 | grep -v -e 'sync_server.go' -e 'Watch of resource finished' -e 'Full resync is required' -e 'Sending synced update' | grep -F 'RemoteCluster'; }
if ((n1 - n0 >= 40)) && ! chatter_only >/dev/null; then ok "typha-chatter --lines 40 wrote chatter that names no remote"; else bad "typha-chatter: $n0 -> $n1"; fi
[[ "$(count_in iad "$pod" "$INSYNC")" == 1 ]] && ok "in-sync logged once per syncer" || bad "in-sync count $(count_in iad "$pod" "$INSYNC")"

# The CRD rejects connection fields next to clusterAccessSecret, as Calico's validation does.
if kubectl --context iad apply -f - >/dev/null 2>&1 <<'EOF'
apiVersion: projectcalico.org/v3
kind: RemoteClusterConfiguration
metadata:
  name: invalid
spec:
  clusterAccessSecret: {name: x, namespace: calico-system, kind: Secret}
  datastoreType: kubernetes
EOF
then bad "RCC with clusterAccessSecret and datastoreType accepted"; else ok "RCC validation rejects mixed fields"; fi

echo "== calico-kube-controllers and the non-cluster-host Typha"
echeck "kube-controllers: Status=\"InSync\" for pdx" 20 kc_logs_has iad 'kube-controllers/fedderatedservices_controller.go 398: Remote cluster status update Error="" Key=RemoteClusterStatus(name=pdx) Status="InSync"'
check "kube-controllers lists services and endpoints of pdx" kc_logs_has iad 'Sending synced update ListRoot="/calico/resources/v3/projectcalico.org/k8s-endpoints"'
nc_pod=$(pods iad calico-typha-noncluster-host)
[[ -n "$nc_pod" && "$nc_pod" != *" "* ]] && ok "Deployment calico-typha-noncluster-host has one pod" || bad "noncluster pods: '$nc_pod'"
echeck "non-cluster-host Typha logs in-sync for pdx" 20 pod_logs_has iad "$nc_pod" "$INSYNC"

echo "== federated services: backing pods (lab pods), kcm's endpoint controllers, the federated-services controller"
fed_t0=$SECONDS
# testdb (selector app=testdb, labelled federation=yes) with 2 ready pods in iad and pdx; testdb-federated in
# iad (no selector, the annotation): kube-controllers writes its Endpoints, kcm mirrors them into EndpointSlices.
for c in iad pdx; do
  kubectl --context "$c" create namespace redis >/dev/null
  kubectl --context "$c" apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: testdb, namespace: redis, labels: {federation: "yes"}}
spec:
  selector: {app: testdb}
  ports: [{name: redis, port: 6379}]
EOF
  "$LAB" pods --dir "$DIR" --cluster "$c" --namespace redis --labels app=testdb --count 2 --prefix testdb >/dev/null 2>&1
done
kubectl --context iad apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Service
metadata:
  name: testdb-federated
  namespace: redis
  annotations: {federation.tigera.io/serviceSelector: 'federation == "yes"'}
spec:
  ports: [{name: redis, port: 6379}]
EOF
words() { tr ' ' '\n' | grep . | sort | tr '\n' ' '; }
jp() { kubectl --context "$1" get "${@:2}" 2>/dev/null | words; }
pod_ips() { jp "$1" pods -n redis -l app=testdb -o jsonpath='{.items[*].status.podIP}'; }
slice_is() { [[ -n "$(pod_ips "$1")" && "$(jp "$1" endpointslices -n redis -l kubernetes.io/service-name=testdb -o jsonpath='{.items[*].endpoints[*].addresses[*]}')" == "$(pod_ips "$1")" ]]; }
echeck "lab pods: iad's pods (IPs from its IPPool) are in testdb's EndpointSlices (kcm endpointslice)" 15 slice_is iad
echeck "lab pods: pdx's pods are in testdb's EndpointSlices" 15 slice_is pdx
fed_ready() { [[ "$(jp iad endpoints -n redis testdb-federated -o jsonpath='{.subsets[*].addresses[*].targetRef.name}')" == "$1" ]]; }
fed_notready() { [[ "$(jp iad endpoints -n redis testdb-federated -o jsonpath='{.subsets[*].notReadyAddresses[*].targetRef.name}')" == "$1" ]]; }
ALL4="pdx/testdb-1 pdx/testdb-2 testdb-1 testdb-2 "
echeck "federated Endpoints: 4 ready addresses, pdx's named pdx/<pod>" 15 fed_ready "$ALL4"
fed_meta() {
  [[ "$(kubectl --context iad get endpoints -n redis testdb-federated -o jsonpath='{.metadata.annotations.federation\.tigera\.io/serviceSelector}|{.metadata.labels}' 2>/dev/null)" == 'federation == "yes"|' ]]
}
check "federated Endpoints: annotation serviceSelector, no labels" fed_meta
mirrored() { [[ "$(jp iad endpointslices -n redis -l kubernetes.io/service-name=testdb-federated,endpointslice.kubernetes.io/managed-by=endpointslicemirroring-controller.k8s.io -o jsonpath='{.items[*].endpoints[*].targetRef.name}')" == "$1" ]]; }
echeck "EndpointSlices mirrored from them by kcm (endpointslicemirroring)" 15 mirrored "$ALL4"
"$LAB" pods --dir "$DIR" --cluster iad --namespace redis --labels app=testdb --count 2 --prefix testdb --ready=false >/dev/null 2>&1
iad_unready() { fed_ready "pdx/testdb-1 pdx/testdb-2 " && fed_notready "testdb-1 testdb-2 "; }
echeck "iad's pods not ready: pdx's stay ready, iad's become notReadyAddresses" 10 iad_unready
"$LAB" pods --dir "$DIR" --cluster iad --namespace redis --labels app=testdb --count 2 --prefix testdb --ready=true >/dev/null 2>&1
echeck "iad's pods ready again: 4 ready addresses" 10 fed_ready "$ALL4"
echo "   (federated services part: $((SECONDS - fed_t0))s)"

echo "== Role deleted on a connected link: Typha keeps its copy of the Secret"
kubectl --context iad delete role -n calico-system remote-access-pdx >/dev/null
forbidden() { typha_logs iad | grep 'reflector' | grep 'secrets \\"pdx-secret\\" is forbidden' >/dev/null; }
echeck "Role deleted: client-go reports the forbidden Secret (after the 5 s watch timeout)" 30 forbidden
if metric_is iad pdx 2 && ! typha_logs_has iad "Stop syncer for RemoteClusterConfiguration(pdx)"; then ok "Role deleted: link stays in sync"; else bad "Role deleted: syncer stopped or gauge $(metric iad pdx)"; fi
make_role iad pdx

echo "== Secret deleted: syncer stopped, no restart; re-created: new syncer"
r0=$(restarts iad "$pod")
kubectl --context iad get secret -n calico-system pdx-secret -o json |
  jq 'del(.metadata.resourceVersion, .metadata.uid, .metadata.creationTimestamp, .metadata.managedFields)' >"$DIR/pdx-secret.json"
kubectl --context iad delete secret -n calico-system pdx-secret >/dev/null
echeck "Secret deleted: Stop syncer" 45 pod_logs_has iad "$pod" "Stop syncer for RemoteClusterConfiguration(pdx)"
check "Secret deleted: the Secret line names Namespace and Secret" pod_logs_has iad "$pod" 'Received Secret update. Cluster access secret was not found or the inline datastore config was invalid Namespace="calico-system" Secret="pdx-secret"'
echeck "Secret deleted: gauge = 5" 10 metric_is iad pdx 5
echeck "kube-controllers: Status=\"ConfigIncomplete\"" 10 kc_logs_has iad 'Key=RemoteClusterStatus(name=pdx) Status="ConfigIncomplete"'
[[ "$(restarts iad "$pod")" == "$r0" ]] && ok "Secret deleted: no restart" || bad "restartCount changed"
kubectl --context iad apply -f "$DIR/pdx-secret.json" >/dev/null
two_insync() { [[ "$(count_in iad "$pod" "$INSYNC")" == 2 ]]; }
echeck "Secret re-created: Handling Secret update as a valid RCC, new syncer in sync" 20 two_insync
check "Secret re-created line" pod_logs_has iad "$pod" 'Handling Secret update as a valid RCC Namespace="calico-system" Secret="pdx-secret"'

echo "== Secret content changed: restart required"
r0=$(restarts iad "$pod")
{ cat "$DIR/pdx-for-iad.kubeconfig"; echo "# changed"; } >"$DIR/changed.kubeconfig"
kubectl --context iad create secret generic pdx-secret -n calico-system --dry-run=client -o yaml \
  --from-literal=datastoreType=kubernetes --from-file=kubeconfig="$DIR/changed.kubeconfig" | kubectl --context iad apply -f - >/dev/null 2>&1
restarted() { (($(restarts iad "$pod") > r0)); }
echeck "Typha exited and was restarted (restartCount grew)" 20 restarted
prev_restart() {
  pod_logs iad "$pod" --previous | grep -F 'Received Secret update. Restart process to pick up changes to the connection data. Namespace="calico-system" Secret="pdx-secret"' >/dev/null &&
    pod_logs iad "$pod" --previous | grep -F 'received remote cluster restart: RemoteClusterConfiguration (pdx) changed, restart required' >/dev/null &&
    pod_logs iad "$pod" --previous | tail -1 | grep -F 'Restart signalled, shutting down' >/dev/null
}
check "--previous serves the ended run: restart lines, last 'Restart signalled'" prev_restart
one_insync() { [[ "$(count_in iad "$pod" "$INSYNC")" == 1 ]]; }
echeck "the new container's log starts afresh, in sync once" 20 one_insync
check "kube-controllers: Status=\"ConfigChangeRestartRequired\"" bash -c \
  "kubectl --context iad logs -n calico-system deployment/calico-kube-controllers --previous | grep -F 'Status=\"ConfigChangeRestartRequired\"'"

echo "== pdx down longer than the loss delay (${LOSS}s)"
"$LAB" stop-apiserver --cluster pdx --dir "$DIR" 2>/dev/null
failed_line() { pod_logs_has iad "$pod" "Sending connection failed update for RemoteClusterConfiguration(pdx) error="; }
echeck "connection failed logged (after the loss delay)" $((LOSS + 30)) failed_line
check "Connection to datastore has failed line (ListRoot only)" pod_logs_has iad "$pod" 'Connection to datastore has failed - signaling error to client. ListRoot="'
echeck "gauge = 0" 10 metric_is iad pdx 0
echeck "kube-controllers: Status=\"ConnectionFailed\"" 20 kc_logs_has iad 'Key=RemoteClusterStatus(name=pdx) Status="ConnectionFailed"'
echeck "pdx lost: the federated Endpoints drop pdx's addresses (deletions on connection failure)" 10 fed_ready "testdb-1 testdb-2 "
"$LAB" start-apiserver --cluster pdx --dir "$DIR" 2>/dev/null && ok "start-apiserver" || bad "start-apiserver"
sleep 8
after_fail_insync() { pod_logs iad "$pod" | awk '/Sending connection failed update for RemoteClusterConfiguration\(pdx\)/ {f=1} f && /Sending in-sync update for RemoteClusterConfiguration\(pdx\)/ {print; exit}'; }
if [[ -z "$(after_fail_insync)" ]] && metric_is iad pdx 0; then ok "after recovery: no new in-sync line, gauge stays 0"; else bad "in-sync after recovery or gauge $(metric iad pdx)"; fi
echeck "pdx back: its addresses return to the federated Endpoints" 20 fed_ready "$ALL4"

echo "== rollout restart"
r0=$(restarts iad "$pod")
kubectl --context iad rollout restart deployment/calico-typha -n calico-system >/dev/null
rolled() { (($(restarts iad "$pod") > r0)) && one_insync; }
echeck "rollout restart: new container, fresh in-sync" 30 rolled
echeck "rollout restart: gauge = 2 again" 10 metric_is iad pdx 2
check "kubectl rollout status" kubectl --context iad rollout status deployment/calico-typha -n calico-system --timeout=20s

echo "== link pdx <- fra whose ClusterRole lacks watch"
make_link pdx fra "get, list" Enabled
echeck "no watch: the link fails" 40 typha_logs_has pdx 'Sending connection failed update for RemoteClusterConfiguration(fra) error=connection is unauthorized: pods is forbidden'
check "no watch: Failed to create watcher names the watch" typha_logs_has pdx 'Failed to create watcher; will retry.'

echo "== link fra <- iad with overlayRoutingMode Disabled"
make_link fra iad "get, list, watch" Disabled
echeck "Disabled: in sync" 30 typha_logs_has fra "Sending in-sync update for RemoteClusterConfiguration(iad)"
[[ "$(caches_before_insync fra "$fra_pod" iad)" == 3 ]] && ok "Disabled: only pods, hostendpoints, profiles (3 caches)" ||
  bad "Disabled: $(caches_before_insync fra "$fra_pod" iad) caches"

echo "== fault hooks"
"$LAB" token-controller --cluster iad off --dir "$DIR" 2>/dev/null
kubectl --context iad create serviceaccount probe2 -n default >/dev/null
kubectl --context iad apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Secret
metadata:
  name: probe2-token
  namespace: default
  annotations:
    kubernetes.io/service-account.name: probe2
type: kubernetes.io/service-account-token
EOF
sleep 5
if [[ -z "$(kubectl --context iad get secret probe2-token -n default -o jsonpath='{.data.token}')" ]]; then
  ok "token controller off: Secret stays empty"
else
  bad "token filled although controller off"
fi
"$LAB" token-controller --cluster iad on --dir "$DIR" 2>/dev/null
has_token2() { [[ -n "$(kubectl --context iad get secret probe2-token -n default -o jsonpath='{.data.token}')" ]]; }
echeck "token controller on: Secret filled" 30 has_token2

"$LAB" stop-typha --cluster iad --dir "$DIR" 2>/dev/null
sz0=$(typha_logs iad | wc -c)
kubectl --context iad delete remoteclusterconfigurations.projectcalico.org pdx >/dev/null
sleep 4
if [[ "$(typha_logs iad | wc -c)" == "$sz0" ]]; then ok "stop-typha: log stops updating"; else bad "log grew while Typha stopped"; fi
r0=$(restarts iad "$pod")
"$LAB" start-typha --cluster iad --dir "$DIR" 2>/dev/null
started_again() { (($(restarts iad "$pod") > r0)) && typha_logs_has iad "Typha starting up"; }
echeck "start-typha: a new container starts" 20 started_again
echeck "kube-controllers: Remote cluster deleted" 10 kc_logs_has iad 'Remote cluster deleted Key=RemoteClusterStatus(name=pdx)'
"$LAB" stop-typha --cluster iad --pod "$nc_pod" --dir "$DIR" 2>/dev/null && "$LAB" start-typha --cluster iad --pod "$nc_pod" --dir "$DIR" 2>/dev/null &&
  ok "stop-typha/start-typha --pod accept the non-cluster-host pod" || bad "stop/start-typha of $nc_pod"

echo "== RCC with a missing Secret (readable by Typha), then deleted"
make_role iad none
kubectl --context iad apply -f - >/dev/null <<'EOF'
apiVersion: projectcalico.org/v3
kind: RemoteClusterConfiguration
metadata:
  name: gone
spec:
  clusterAccessSecret: {name: none-secret, namespace: calico-system, kind: Secret}
EOF
echeck "missing secret warning (Key=)" 20 typha_logs_has iad "Received new RCC. Cluster access secret was not found or the inline datastore config was invalid Key=RemoteClusterConfiguration(gone)"
kubectl --context iad delete remoteclusterconfigurations.projectcalico.org gone >/dev/null
echeck "RCC delete logged" 20 typha_logs_has iad "Handling delete RCC update Key=RemoteClusterConfiguration(gone)"

echo "== log cap ($CAP bytes): older lines are rotated away"
"$LAB" typha-chatter --cluster fra --pod "$fra_pod" --lines 2500 --dir "$DIR" 2>/dev/null
capped() {
  local b
  b=$(pod_logs fra "$fra_pod" | wc -c)
  ((b <= CAP)) && ! pod_logs_has fra "$fra_pod" "Typha starting up"
}
check "current log <= cap and its first lines are gone" capped

echo "== lab down"
if "$LAB" down --dir "$DIR" 2>/dev/null && [[ ! -e "$DIR/state.json" ]]; then ok "lab down"; else bad "lab down"; fi

echo "== Calico flavours: a=v3crd (3.24), b=apiserver (3.22, apply bug, licence missing), c=migrating (3.22)"
t0=$SECONDS
if KCFG=$("$LAB" up --clusters a,b,c --dir "$DIR" --typha-log-rate 0 --calico-api a=v3crd,b=apiserver,c=migrating \
  --calico-apply-bug=b --license b=missing --calico-version c=3.22 | tail -1); then
  ok "flavour lab up took $((SECONDS - t0))s"
else
  bad "flavour lab up failed"
fi
export KUBECONFIG="$KCFG"
no_crd_group() { [[ -z "$(kubectl --context a api-resources --api-group=crd.projectcalico.org -o name)" ]]; }
check "v3crd: no crd.projectcalico.org group" no_crd_group
check "v3crd: RCC is a projectcalico.org CRD" kubectl --context a get crd remoteclusterconfigurations.projectcalico.org
v3_pool() { [[ "$(kubectl --context a get ippools.projectcalico.org default-ipv4-ippool -o jsonpath='{.apiVersion} {.spec.vxlanMode}')" == "projectcalico.org/v3 Always" ]]; }
check "v3crd: IPPool in projectcalico.org/v3 (vxlanMode Always)" v3_pool
check "v3crd: FelixConfiguration default" kubectl --context a get felixconfigurations.projectcalico.org default
ci() { [[ "$(kubectl --context "$1" get clusterinformations.projectcalico.org default -o jsonpath='{.spec.cnxVersion} {.spec.calicoVersion}')" == "$2" ]]; }
check "v3crd: ClusterInformation cnxVersion v3.24.0, calicoVersion v3.32.0" ci a "v3.24.0 v3.32.0"
local_apisvc() { [[ -z "$(kubectl --context a get apiservice v3.projectcalico.org -o jsonpath='{.spec.service}')" ]]; }
check "v3crd: APIService v3.projectcalico.org is the CRDs' local one (no service)" local_apisvc
aggr() { [[ "$(kubectl --context "$1" get apiservice v3.projectcalico.org -o jsonpath='{.spec.service.namespace}/{.spec.service.name} {.status.conditions[?(@.type=="Available")].status}')" == "calico-apiserver/calico-api True" ]]; }
check "apiserver: APIService v3.projectcalico.org -> calico-apiserver/calico-api, Available" aggr b
check "migrating: APIService v3.projectcalico.org -> calico-apiserver/calico-api, Available" aggr c
both() { [[ "$(kubectl --context b get ippools.crd.projectcalico.org default-ipv4-ippool -o jsonpath='{.metadata.uid}')" == "$(kubectl --context b get ippools.projectcalico.org default-ipv4-ippool -o jsonpath='{.metadata.uid}')" ]]; }
check "apiserver: the IPPool is served in both groups (one object)" both
check "apiserver: ClusterInformation cnxVersion v3.22.0" ci b "v3.22.0 v3.31.0"
# (output captured first: with pipefail the failing kubectl would fail the pipeline)
ssa_bug() {
  local out
  out=$(kubectl --context b get ippools.projectcalico.org default-ipv4-ippool -o yaml | kubectl --context b apply --server-side -f - 2>&1) || true
  grep -Fx 'Error from server: no serializer defined for application/yaml' <<<"$out"
}
check "apiserver + apply bug: server-side apply answered 500 'no serializer defined for application/yaml'" ssa_bug
ssa_ok() { kubectl --context c get ippools.projectcalico.org default-ipv4-ippool -o yaml | kubectl --context c apply --server-side --force-conflicts -f -; }
check "migrating without the bug: server-side apply works" ssa_ok
cat >"$DIR/rcc-x.yaml" <<'EOF'
apiVersion: projectcalico.org/v3
kind: RemoteClusterConfiguration
metadata: {name: x}
spec:
  clusterAccessSecret: {name: x-secret, namespace: calico-system, kind: Secret}
EOF
lic() {
  local out
  out=$(kubectl --context b create -f "$DIR/rcc-x.yaml" 2>&1) || true
  grep -F 'Error from server (Forbidden): error when creating "'"$DIR/rcc-x.yaml"'": this operation is not allowed: the enterprise license is missing, expired, or does not include this feature.' <<<"$out"
}
check "licence missing: RCC create refused 403 by the Calico API server" lic
check "licence missing: kube-controllers does not start the federated-services controller" kc_logs_has b 'Not starting controller'
crud() {
  kubectl --context c create -f "$DIR/rcc-x.yaml" && kubectl --context c get remoteclusterconfigurations x &&
    sed 's/x-secret/y-secret/' "$DIR/rcc-x.yaml" | kubectl --context c apply -f - &&
    [[ "$(kubectl --context c get remoteclusterconfigurations.crd.projectcalico.org x -o jsonpath='{.spec.clusterAccessSecret.name} {.spec.syncOptions.overlayRoutingMode}')" == "y-secret Enabled" ]] &&
    kubectl --context c delete remoteclusterconfigurations x
}
check "migrating: RCC create/get/apply/delete through the API server (stored in crd.projectcalico.org, routing defaulted to Enabled)" crud
migration() { [[ "$(kubectl --context c get datastoremigrations.migration.projectcalico.org -o jsonpath='{.items[0].spec.type} {.items[0].status.phase}')" == "APIServerToCRDs Migrating" ]]; }
check "migrating: DatastoreMigration APIServerToCRDs in phase Migrating" migration
make_link c a "get, list, watch" Enabled
echeck "3.22 reader of a v3-only remote: in sync" 30 typha_logs_has c "Sending in-sync update for RemoteClusterConfiguration(a)"
check "... after 'Backing API not installed' for ippools" typha_logs_has c 'Backing API not installed, marking as in-sync and retrying later. ListRoot="/calico/resources/v3/projectcalico.org/ippools"'
make_link a c "get, list, watch" Enabled
echeck "3.24 reader of a both-groups remote (v1): in sync" 30 typha_logs_has a "Sending in-sync update for RemoteClusterConfiguration(c)"
if typha_logs a | grep -F 'Backing API not installed' >/dev/null; then bad "3.24 reader: 404s from a both-groups remote"; else ok "3.24 reader: pools and blocks listed in crd.projectcalico.org/v1"; fi
if "$LAB" down --dir "$DIR" 2>/dev/null && [[ ! -e "$DIR/state.json" ]]; then ok "flavour lab down"; else bad "flavour lab down"; fi

# Consecutive clean starts and stops. The start-up flake (README, "The start-up
# flake") was the lab taking an etcd or kube-apiserver for dead while its exec
# was still reading the binary from disk: it struck only when the binaries were
# not in the page cache, about one cold start in five. So every cycle first
# drops this part's own copies of the binaries from the page cache (dd
# iflag=nocache: posix_fadvise DONTNEED; copies, because pages that a running
# lab maps cannot be dropped). One cluster per cycle: every cycle is a cold
# etcd, kube-apiserver, kube-controller-manager and supervisor start.
CYCLES="${ACCEPTANCE_START_CYCLES:-20}"
echo "== $CYCLES cold starts and stops of a one-cluster lab"
SDIR="$(mktemp -d "$TMPBASE/meshctl-lab-starts.XXXXXX")"
bin_src="${MESHCTL_LAB_BIN_DIR:-$(bash "$here/build-binaries.sh")}"
mkdir -p "$SDIR-bin"
cp "$bin_src/etcd" "$bin_src/kube-apiserver" "$bin_src/kube-controller-manager" "$SDIR-bin/"
sync "$SDIR-bin"/*
clean=0
t0=$SECONDS
for ((i = 1; i <= CYCLES; i++)); do
  for f in "$SDIR-bin"/*; do dd if="$f" iflag=nocache count=0 status=none; done
  if ! "$LAB" up --clusters s1 --dir "$SDIR" --bin-dir "$SDIR-bin" --typha-log-rate 0 >/dev/null 2>"$SDIR.err"; then
    echo "  cycle $i: up failed:"
    tail -20 "$SDIR.err" | sed 's/^/    /'
    break
  fi
  if ! "$LAB" down --dir "$SDIR" >/dev/null 2>"$SDIR.err"; then
    echo "  cycle $i: down failed:"
    tail -20 "$SDIR.err" | sed 's/^/    /'
    break
  fi
  if [[ -e "$SDIR/state.json" ]] || pgrep -f -- "$SDIR( |/|$)" >/dev/null; then
    echo "  cycle $i: down left state or processes behind"
    break
  fi
  clean=$((clean + 1))
done
if ((clean == CYCLES)); then
  ok "$CYCLES consecutive clean cold starts and stops ($((SECONDS - t0))s)"
else
  bad "only $clean consecutive clean cold starts and stops of $CYCLES"
fi

echo "$pass passed, $fail failed"
((fail == 0))
