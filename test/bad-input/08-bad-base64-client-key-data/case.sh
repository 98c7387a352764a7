# client-key-data holds a character base64 does not have. The message must
# not quote the key (the secrets scan checks every byte meshctl printed).
prepare() {
  kubeconfig_edit '(.users[] | select(.name == "lab-pdx-admin") | .user["client-key-data"]) |= "!" + .[1:]'
}
ARGS=(--kubeconfig "$CASE_KUBECONFIG" join iad pdx "${JOIN_FLAGS[@]}")
