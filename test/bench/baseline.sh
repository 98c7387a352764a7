#!/usr/bin/env bash
# The yardstick: the documented procedure as users run it today with kubectl,
# generalised from the seed setup-mesh.sh to N clusters, with its bugs fixed
# (no context switching, set -e, the server and CA of the context's own
# cluster, waiting for the token instead of racing it, apply instead of
# delete+create) and no needless sleeps. It produces the same objects as
# `meshctl join`, so the same Typha stand-in judges both.
#
#   KUBECONFIG=... baseline.sh iad pdx fra
set -euo pipefail
ns=calico-system
clusters=("$@")

server_of() {
  local cluster
  cluster="$(kubectl config view -o jsonpath="{.contexts[?(@.name==\"$1\")].context.cluster}")"
  kubectl config view -o jsonpath="{.clusters[?(@.name==\"$cluster\")].cluster.server}"
}
ca_of() {
  local cluster
  cluster="$(kubectl config view -o jsonpath="{.contexts[?(@.name==\"$1\")].context.cluster}")"
  kubectl config view --raw -o jsonpath="{.clusters[?(@.name==\"$cluster\")].cluster.certificate-authority-data}"
}

# Per remote cluster: the federation identity and its token.
for r in "${clusters[@]}"; do
  kubectl --context "$r" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: ServiceAccount
metadata: {name: tigera-federation-remote-cluster, namespace: $ns}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: tigera-federation-remote-cluster}
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
metadata: {name: tigera-federation-remote-cluster}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: tigera-federation-remote-cluster}
subjects:
- {kind: ServiceAccount, name: tigera-federation-remote-cluster, namespace: $ns}
---
apiVersion: v1
kind: Secret
type: kubernetes.io/service-account-token
metadata:
  name: tigera-federation-remote-cluster
  namespace: $ns
  annotations: {kubernetes.io/service-account.name: tigera-federation-remote-cluster}
YAML
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for r in "${clusters[@]}"; do
  until token="$(kubectl --context "$r" get secret -n "$ns" tigera-federation-remote-cluster -o jsonpath='{.data.token}')" &&
    [[ -n "$token" ]]; do :; done
  (umask 077; echo "$token" | base64 -d >"$work/$r.token")
done

# Per directed link L <- R.
for l in "${clusters[@]}"; do
  for r in "${clusters[@]}"; do
    [[ "$l" == "$r" ]] && continue
    cfg="$work/$l-$r.kubeconfig"
    (umask 077; cat >"$cfg" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: $r
  cluster: {server: "$(server_of "$r")", certificate-authority-data: "$(ca_of "$r")"}
users:
- name: tigera-federation-remote-cluster
  user: {token: "$(cat "$work/$r.token")"}
contexts:
- name: tigera-federation-remote-cluster-ctx
  context: {cluster: $r, user: tigera-federation-remote-cluster}
current-context: tigera-federation-remote-cluster-ctx
YAML
    )
    kubectl --context "$l" create secret generic -n "$ns" "remote-cluster-$r" \
      --from-literal=datastoreType=kubernetes --from-file=kubeconfig="$cfg" --dry-run=client -o yaml |
      kubectl --context "$l" apply -f - >/dev/null
    kubectl --context "$l" apply -f - >/dev/null <<YAML
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: remote-cluster-secret-access-$r, namespace: $ns}
rules:
- apiGroups: [""]
  resources: [secrets]
  resourceNames: [remote-cluster-$r]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: remote-cluster-secret-access-$r, namespace: $ns}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: remote-cluster-secret-access-$r}
subjects:
- {kind: ServiceAccount, name: calico-typha, namespace: calico-system}
---
apiVersion: projectcalico.org/v3
kind: RemoteClusterConfiguration
metadata: {name: $r}
spec:
  clusterAccessSecret: {kind: Secret, name: remote-cluster-$r, namespace: $ns}
  syncOptions: {overlayRoutingMode: Enabled}
YAML
  done
done
