#!/usr/bin/env bash
# The fair yardstick (issue 17): the fastest kubectl script a careful engineer
# would write for the same mesh, producing the objects `meshctl join` writes
# (rendered from manifests/*.yaml, labels included). Unlike baseline.sh it
#   - reads every cluster's server and CA once (one `kubectl config view --raw
#     -o json`, then jq),
#   - sends one multi-document `kubectl apply --server-side` per cluster and
#     stage (identity; links),
#   - runs all clusters in parallel (background jobs + wait),
#   - pauses 0.2 s between token polls instead of busy-waiting,
#   - runs one fixed kubectl binary (past gcloud's version dispatcher).
# It does not: preflight (RBAC, Calico API, data plane checks), verify, keep
# credentials out of argv/temp files' reach beyond umask 077, handle EKS/exec
# credentials or --server overrides, or clean up links that should go.
#
#   KUBECONFIG=... fair.sh iad pdx fra
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
manifests="$root/manifests"
ns=calico-system
clusters=("$@")

# One kubectl binary. gcloud's kubectl is a dispatcher that picks a
# kubectl.1.NN next to itself: take the newest one directly.
k="$(readlink -f "$(command -v kubectl)")"
if "$k" version --client 2>/dev/null | grep -q dispatcher; then
  real="$(printf '%s\n' "$(dirname "$k")"/kubectl.1.* | sort -V | tail -1)"
  [[ -x "$real" ]] && k="$real"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
umask 077

# Server and CA of every cluster, read once.
"$k" config view --raw -o json >"$work/config.json"
for c in "${clusters[@]}"; do
  jq -r --arg ctx "$c" '
    (.contexts[] | select(.name == $ctx) | .context.cluster) as $cl
    | .clusters[] | select(.name == $cl) | .cluster
    | .server, ."certificate-authority-data"' "$work/config.json" >"$work/$c.access"
  [[ "$(wc -l <"$work/$c.access")" == 2 ]] || { echo "fair.sh: no context $c" >&2; exit 1; }
done

render() { # manifest name, then VAR=value pairs
  local file="$manifests/$1.yaml"; shift
  echo "---"
  # shellcheck disable=SC2016 # envsubst's list of variables to replace
  env "$@" envsubst '$CLUSTER $FEDERATION_NAMESPACE $TOKEN_SECRET_NAME $REMOTE $SECRET_NAME $SECRET_NAMESPACE $OVERLAY_ROUTING' <"$file"
}

run_all() { # function name: run it for every cluster in parallel, fail if one fails
  local pids=() c rc=0
  for c in "${clusters[@]}"; do "$1" "$c" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  return "$rc"
}

# Stage 1, per cluster as a remote: the federation identity, then its token.
identity() {
  local c="$1" token m
  for m in federation-serviceaccount federation-clusterrole federation-clusterrolebinding \
    federation-clusterrole-v3 federation-clusterrolebinding-v3 federation-token-secret; do
    render "$m" CLUSTER="$c" FEDERATION_NAMESPACE="$ns" TOKEN_SECRET_NAME=tigera-federation-remote-cluster
  done | "$k" --context "$c" apply --server-side --force-conflicts --field-manager=fair-sh -f - >/dev/null
  until token="$("$k" --context "$c" get secret -n "$ns" tigera-federation-remote-cluster -o jsonpath='{.data.token}')" &&
    [[ -n "$token" ]]; do sleep 0.2; done
  echo "$token" | base64 -d >"$work/$c.token"
}
run_all identity

# Stage 2, per local cluster L: every link L <- R in one apply.
links() {
  local l="$1" r server ca kubeconfig vars
  for r in "${clusters[@]}"; do
    [[ "$l" == "$r" ]] && continue
    { read -r server; read -r ca; } <"$work/$r.access"
    kubeconfig="$(cat <<YAML | base64 -w0
apiVersion: v1
kind: Config
clusters:
- name: $r
  cluster: {server: "$server", certificate-authority-data: "$ca"}
users:
- name: tigera-federation-remote-cluster
  user: {token: "$(cat "$work/$r.token")"}
contexts:
- name: tigera-federation-remote-cluster-ctx
  context: {cluster: $r, user: tigera-federation-remote-cluster}
current-context: tigera-federation-remote-cluster-ctx
YAML
)"
    vars=(CLUSTER="$l" REMOTE="$r" SECRET_NAME="remote-cluster-$r" SECRET_NAMESPACE="$ns" OVERLAY_ROUTING=Enabled)
    render link-secret "${vars[@]}"
    printf 'data:\n  datastoreType: %s\n  kubeconfig: %s\n' "$(printf kubernetes | base64 -w0)" "$kubeconfig"
    render link-role "${vars[@]}"
    render link-rolebinding "${vars[@]}"
    render link-remoteclusterconfiguration "${vars[@]}"
  done >"$work/$l.links.yaml"
  "$k" --context "$l" apply --server-side --force-conflicts --field-manager=fair-sh -f "$work/$l.links.yaml" >/dev/null
}
run_all links
