#!/usr/bin/env bash
# Acceptance tests of the lab itself, driven by kubectl only (never meshctl).
# Brings up iad,pdx,fra in a temporary directory, checks the real control
# planes and the Typha stand-in, and tears everything down again.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LAB="$here/lab"
DIR="$(mktemp -d /tmp/meshctl-lab-acceptance.XXXXXX)"
pass=0
fail=0

cleanup() {
  "$LAB" down --dir "$DIR" >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT

ok() { echo "PASS: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

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

typha_logs() { kubectl --context "$1" logs -n calico-system -l k8s-app=calico-typha --tail=-1 --prefix=false; }
# grep without -q: an early grep exit would SIGPIPE kubectl and fail the pipeline (pipefail).
typha_logs_has() { typha_logs "$1" | grep -F -- "$2" >/dev/null; }
metric() { # metric CLUSTER RCC -> gauge value of the first Typha pod
  local ip port
  ip=$(kubectl --context "$1" get pod -n calico-system -l k8s-app=calico-typha -o jsonpath='{.items[0].status.hostIP}')
  port=$(kubectl --context "$1" get pod -n calico-system -l k8s-app=calico-typha \
    -o jsonpath='{.items[0].spec.containers[0].ports[?(@.name=="metrics")].containerPort}')
  curl -s --noproxy '*' "http://$ip:$port/metrics" | awk -v n="remote_cluster_name=\"$2\"" 'index($0, n) {print $2}'
}
metric_is() { [[ "$(metric "$1" "$2")" == "$3" ]]; }

echo "== lab up (dir $DIR)"
t0=$SECONDS
if KCFG=$("$LAB" up --clusters iad,pdx,fra --dir "$DIR" --typha-replicas 2 | tail -1); then
  ok "lab up took $((SECONDS - t0))s, kubeconfig $KCFG"
else
  bad "lab up failed"
  echo "0 passed, 1 failed"
  exit 1
fi
export KUBECONFIG="$KCFG"

again=$("$LAB" up --clusters iad,pdx,fra --dir "$DIR" --typha-replicas 2 2>/dev/null | tail -1)
[[ "$again" == "$KCFG" ]] && ok "up is idempotent" || bad "second up printed '$again'"

for c in iad pdx fra; do
  if kubectl --context "$c" get --raw /version | grep '"gitVersion": "v1.33.13"' >/dev/null; then
    ok "$c serves v1.33.13"
  else
    bad "$c /version"
  fi
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
if eventually 15 has_token; then ok "token Secret filled"; else bad "token Secret not filled in 15s"; fi

if out=$(kubectl logs -n calico-system -l k8s-app=calico-typha --context iad 2>&1) && grep -q "Typha starting up" <<<"$out"; then
  ok "kubectl logs of the Typha pods works"
else
  bad "kubectl logs: $out"
fi
pod=$(kubectl --context iad get pod -n calico-system -l k8s-app=calico-typha -o jsonpath='{.items[0].metadata.name}')
if [[ "$(kubectl --context iad logs -n calico-system "$pod" --tail=1 | wc -l)" == 1 ]] &&
  kubectl --context iad logs -n calico-system deployment/calico-typha --timestamps --since=1h | grep '^20..-..-..T' >/dev/null; then
  ok "kubectl logs honours --tail, --timestamps, --since"
else
  bad "kubectl logs options"
fi

echo "== hand-made link iad <- pdx"
kubectl --context pdx apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: ServiceAccount
metadata:
  name: tigera-federation-remote-cluster
  namespace: calico-system
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: tigera-federation-remote-cluster
rules:
- apiGroups: [""]
  resources: [namespaces, serviceaccounts, services, endpoints, pods, nodes]
  verbs: [get, list, watch]
- apiGroups: [crd.projectcalico.org]
  resources: [hostendpoints, ipamblocks, ippools]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: tigera-federation-remote-cluster
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: tigera-federation-remote-cluster
subjects:
- kind: ServiceAccount
  name: tigera-federation-remote-cluster
  namespace: calico-system
---
apiVersion: v1
kind: Secret
metadata:
  name: tigera-federation-remote-cluster
  namespace: calico-system
  annotations:
    kubernetes.io/service-account.name: tigera-federation-remote-cluster
type: kubernetes.io/service-account-token
EOF
fed_token() { [[ -n "$(kubectl --context pdx get secret -n calico-system tigera-federation-remote-cluster -o jsonpath='{.data.token}')" ]]; }
eventually 15 fed_token || bad "federation token not filled"
token=$(kubectl --context pdx get secret -n calico-system tigera-federation-remote-cluster -o jsonpath='{.data.token}' | base64 -d)
ca=$(kubectl --context pdx get secret -n calico-system tigera-federation-remote-cluster -o jsonpath='{.data.ca\.crt}')
server=$(kubectl config view --raw -o jsonpath='{.clusters[?(@.name=="lab-pdx")].cluster.server}')
remote_kcfg="$DIR/pdx-remote.kubeconfig"
cat >"$remote_kcfg" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: pdx
  cluster:
    server: $server
    certificate-authority-data: $ca
users:
- name: tigera-federation-remote-cluster
  user:
    token: $token
contexts:
- name: tigera-federation-remote-cluster-ctx
  context:
    cluster: pdx
    user: tigera-federation-remote-cluster
current-context: tigera-federation-remote-cluster-ctx
EOF
if kubectl --kubeconfig "$remote_kcfg" get nodes >/dev/null; then ok "remote kubeconfig reads pdx nodes"; else bad "remote kubeconfig"; fi

kubectl --context iad create secret generic pdx-secret -n calico-system \
  --from-literal=datastoreType=kubernetes --from-file=kubeconfig="$remote_kcfg" >/dev/null
make_role() {
  kubectl --context iad apply -f - >/dev/null <<'EOF'
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: remote-cluster-secret-access
  namespace: calico-system
rules:
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: remote-cluster-secret-access
  namespace: calico-system
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: remote-cluster-secret-access
subjects:
- kind: ServiceAccount
  name: calico-typha
  namespace: calico-system
EOF
}
make_role
kubectl --context iad apply -f - >/dev/null <<'EOF'
apiVersion: projectcalico.org/v3
kind: RemoteClusterConfiguration
metadata:
  name: pdx
spec:
  clusterAccessSecret:
    name: pdx-secret
    namespace: calico-system
    kind: Secret
  syncOptions:
    overlayRoutingMode: Enabled
EOF
if eventually 30 typha_logs_has iad "Sending in-sync update for RemoteClusterConfiguration(pdx)"; then
  ok "iad Typha logs in-sync for pdx"
else
  bad "no in-sync line for pdx"; typha_logs iad | tail -20
fi
typha_logs_has iad "Creating syncer for RemoteClusterConfiguration(pdx)" && ok "iad Typha logs Creating syncer" || bad "no Creating syncer line"
if eventually 10 metric_is iad pdx 2; then ok "gauge remote_cluster_connection_status{pdx} = 2"; else bad "gauge is '$(metric iad pdx)'"; fi

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

echo "== break it: delete the Role"
kubectl --context iad delete role -n calico-system remote-cluster-secret-access >/dev/null
forbidden() { typha_logs iad | grep -F "Cluster access secret was not found" | grep 'forbidden.*calico-typha' >/dev/null; }
if eventually 30 forbidden; then ok "Role deleted: forbidden error in Typha logs"; else bad "no forbidden error"; typha_logs iad | tail -10; fi
if eventually 10 metric_is iad pdx 5; then ok "gauge = 5 (config incomplete)"; else bad "gauge is '$(metric iad pdx)'"; fi

echo "== repair, then change the Secret: restart required"
make_role
last_insync_count() { typha_logs iad | grep -cF "Sending in-sync update for RemoteClusterConfiguration(pdx)"; }
n0=$(last_insync_count)
more_insync() { (($(last_insync_count) > n0)); }
if eventually 30 more_insync; then ok "Role restored: in sync again"; else bad "not in sync after Role restored"; fi
n1=$(last_insync_count)
restarts0=$(kubectl --context iad get pod -n calico-system "$pod" -o jsonpath='{.status.containerStatuses[0].restartCount}')
{ cat "$remote_kcfg"; echo "# changed"; } >"$remote_kcfg.changed"
kubectl --context iad create secret generic pdx-secret -n calico-system --dry-run=client -o yaml \
  --from-literal=datastoreType=kubernetes --from-file=kubeconfig="$remote_kcfg.changed" | kubectl --context iad apply -f - >/dev/null 2>&1
if eventually 30 typha_logs_has iad "Restart process to pick up changes to the connection data."; then
  ok "Secret change: restart-required warning"
else
  bad "no restart-required warning"
fi
restarted() { (($(kubectl --context iad get pod -n calico-system "$pod" -o jsonpath='{.status.containerStatuses[0].restartCount}') > restarts0)); }
if eventually 20 restarted; then ok "Typha exited and was restarted (restartCount grew)"; else bad "restartCount did not grow"; fi
more_insync1() { (($(last_insync_count) > n1)); }
if eventually 30 more_insync1; then ok "after restart: in sync again, log continued"; else bad "no in-sync after restart"; fi

echo "== fault hooks"
"$LAB" stop-apiserver --cluster pdx --dir "$DIR" 2>/dev/null
if eventually 40 typha_logs_has iad "Sending connection failed update for RemoteClusterConfiguration(pdx) error="; then
  ok "pdx apiserver stopped: connection failed in iad's Typha logs"
else
  bad "no connection failed line"
fi
"$LAB" start-apiserver --cluster pdx --dir "$DIR" 2>/dev/null && ok "start-apiserver" || bad "start-apiserver"

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
if eventually 30 has_token2; then ok "token controller on: Secret filled"; else bad "token not filled after on"; fi

"$LAB" stop-typha --cluster iad --dir "$DIR" 2>/dev/null
sz0=$(typha_logs iad | wc -c)
kubectl --context iad delete remoteclusterconfigurations.projectcalico.org pdx >/dev/null
sleep 5
if [[ "$(typha_logs iad | wc -c)" == "$sz0" ]]; then ok "stop-typha: log stops updating"; else bad "log grew while Typha stopped"; fi
"$LAB" start-typha --cluster iad --dir "$DIR" 2>/dev/null
if eventually 20 typha_logs_has iad "Typha starting up"; then ok "start-typha"; else bad "start-typha"; fi

echo "== RCC with a missing Secret, then deleted"
kubectl --context iad apply -f - >/dev/null <<'EOF'
apiVersion: projectcalico.org/v3
kind: RemoteClusterConfiguration
metadata:
  name: gone
spec:
  clusterAccessSecret: {name: none, namespace: calico-system, kind: Secret}
EOF
if eventually 20 typha_logs_has iad "Received new RCC. Cluster access secret was not found"; then ok "missing secret warning"; else bad "no missing-secret warning"; fi
kubectl --context iad delete remoteclusterconfigurations.projectcalico.org gone >/dev/null
if eventually 20 typha_logs_has iad "Handling delete RCC update"; then ok "RCC delete logged"; else bad "no delete line"; fi

echo "== lab down"
if "$LAB" down --dir "$DIR" 2>/dev/null && [[ ! -e "$DIR/state.json" ]]; then ok "lab down"; else bad "lab down"; fi

echo "$pass passed, $fail failed"
((fail == 0))
