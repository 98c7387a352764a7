# client-certificate names a file that does not exist.
prepare() {
  kubeconfig_edit '(.users[] | select(.name == "lab-pdx-admin") | .user) |=
    (del(.["client-certificate-data"]) + {"client-certificate": "no-such-client.crt"})'
}
ARGS=(--kubeconfig "$CASE_KUBECONFIG" join iad pdx "${JOIN_FLAGS[@]}")
