# client-certificate-data is cut short (a truncated copy-paste).
prepare() {
  kubeconfig_edit '(.users[] | select(.name == "lab-pdx-admin") | .user["client-certificate-data"]) |= .[0:-3]'
}
ARGS=(--kubeconfig "$CASE_KUBECONFIG" join iad pdx "${JOIN_FLAGS[@]}")
