# status: the whole mesh, discovered from the kubeconfig, in the documented shape.
meshctl status -o json
expect_rc 0 "status of a healthy mesh"
check "status JSON has the documented kind and version" \
  jq -e '.apiVersion == "meshctl.projectcalico.org/v1alpha1" and .kind == "MeshStatus"' <<<"$MESH_OUT"
check "status shows 6 healthy links" test "$(jq '[.links[] | select(.healthy)] | length' <<<"$MESH_OUT")" == 6
check "each link carries state, objects and credential" \
  jq -e 'all(.links[]; has("local") and has("remote") and has("state") and (.objects|length)==4 and .credential.result=="ok" and .credential.tokenKind=="secret")' <<<"$MESH_OUT"
check "the ignored EKS duplicate contexts are not in a plain status" test "$(jq '.clusters | length' <<<"$MESH_OUT")" == 3
meshctl status iad pdx fra
expect_rc 0 "status with named contexts, table"
check "table has a header and 6 rows" test "$(grep -c 'in-sync' <<<"$MESH_OUT")" == 6

# Login plugins run only where needed. fra's user now gets its certificate
# from an exec plugin, and a context "outsider" (iad's server) has a plugin
# too; each plugin leaves a mark when it runs. status and teardown without
# contexts search the plain contexts first: their RCCs name fra, so fra's
# plugin runs; nothing names "outsider", so its plugin never runs.
plugins="$LAB_DIR/login-plugins"  # holds fra's client key: 0700, removed on any exit
rm -rf "$plugins"
mkdir -m 700 "$plugins"
trap 'rm -rf "$plugins"' EXIT
raw() { kubectl config view --raw -o jsonpath="{.users[?(@.name==\"lab-fra-admin\")].user.$1}"; }
(umask 077; cat >"$plugins/cred.json" <<JSON
{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
 "status":{"clientCertificateData":$(raw client-certificate-data | base64 -d | jq -Rs .),
           "clientKeyData":$(raw client-key-data | base64 -d | jq -Rs .)}}
JSON
)
cat >"$plugins/login" <<'SH'
#!/bin/sh
touch "$(dirname "$0")/ran-$1"
cat "$(dirname "$0")/cred.json"
SH
chmod +x "$plugins/login"
# (Not beside the plugin: kubectl would store the command as "login", which
# client-go then looks up in PATH.)
mkdir -p "$plugins/config"
plugin_config="$plugins/config/kubeconfig"
(umask 077; kubectl config view --raw >"$plugin_config")
for ctx in fra outsider; do
  KUBECONFIG="$plugin_config" kubectl config set-credentials "login-$ctx" --exec-api-version=client.authentication.k8s.io/v1 \
    --exec-command="$plugins/login" --exec-arg="$ctx" --exec-interactive-mode=Never >/dev/null
done
KUBECONFIG="$plugin_config" kubectl config set-context fra --user=login-fra >/dev/null
KUBECONFIG="$plugin_config" kubectl config set-context outsider --cluster=lab-iad --user=login-outsider >/dev/null
rm -f "$plugins"/ran-*  # (kubectl config set-context itself runs the context's plugin)
KUBECONFIG="$plugin_config" meshctl status -o json
expect_rc 0 "status without contexts, fra behind a login plugin"
check "fra's plugin ran: the RCCs of iad and pdx name fra" test -e "$plugins/ran-fra"
check "fra's links are in the status" test "$(jq '[.links[] | select(.local == "fra" and .healthy)] | length' <<<"$MESH_OUT")" == 2
check "the outsider's plugin never ran" test ! -e "$plugins/ran-outsider"
check "a warning says the outsider was not searched and how to include it" \
  grep -q 'context "outsider" was not searched: its credentials come from a login plugin.*name the context' <<<"$MESH_ERR"
rm -f "$plugins"/ran-*
KUBECONFIG="$plugin_config" meshctl teardown --dry-run -o json
expect_rc 0 "teardown --dry-run without contexts"
check "teardown searched fra (its plugin ran), not the outsider" test -e "$plugins/ran-fra" -a ! -e "$plugins/ran-outsider"
KUBECONFIG="$plugin_config" meshctl status outsider iad -o json
check "named, the outsider is asked (its plugin ran)" test -e "$plugins/ran-outsider"
rm -rf "$plugins"
