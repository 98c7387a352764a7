# iad's user may do everything join needs except create ClusterRoles:
# preflight (SelfSubjectAccessReview) must refuse before anything is written.
# The user is a ServiceAccount with a TokenRequest token, made here and removed after.
EXPECT_REQUESTS=1
prepare() {
  kc iad create serviceaccount -n default meshctl-bad-input >/dev/null
  kc iad create clusterrole meshctl-bad-input \
    --verb=get,list,watch,create,patch,update --resource=serviceaccounts,secrets,namespaces,pods \
    --dry-run=client -o json |
    jq '.rules += [
      {apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles", "rolebindings", "clusterrolebindings"],
       verbs: ["get", "list", "watch", "create", "patch", "update"]},
      {apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"],
       verbs: ["get", "list", "watch", "patch", "update"]},
      {apiGroups: ["projectcalico.org"], resources: ["remoteclusterconfigurations"], verbs: ["*"]}]' |
    kc iad create -f - >/dev/null
  kc iad create clusterrolebinding meshctl-bad-input --clusterrole=meshctl-bad-input \
    --serviceaccount=default:meshctl-bad-input >/dev/null
  local token
  token=$(kc iad create token -n default meshctl-bad-input --duration=10m)
  echo "$token" >>"$LAB_DIR/secret-values"  # for the secrets scan
  kubeconfig_edit '.users += [{name: "limited", user: {token: $t}}]
    | (.contexts[] | select(.name == "iad") | .context.user) = "limited"' --arg t "$token"
}
cleanup() {
  kc iad delete clusterrolebinding meshctl-bad-input --ignore-not-found >/dev/null
  kc iad delete clusterrole meshctl-bad-input --ignore-not-found >/dev/null
  kc iad delete serviceaccount -n default meshctl-bad-input --ignore-not-found >/dev/null
}
ARGS=(--kubeconfig "$CASE_KUBECONFIG" join iad pdx "${JOIN_FLAGS[@]}")
