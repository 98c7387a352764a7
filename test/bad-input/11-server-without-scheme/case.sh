# The server URL has no https:// in front.
prepare() {
  kubeconfig_edit '(.clusters[] | select(.name == "lab-pdx") | .cluster.server) |= sub("^https://"; "")'
}
ARGS=(--kubeconfig "$CASE_KUBECONFIG" join iad pdx "${JOIN_FLAGS[@]}")
