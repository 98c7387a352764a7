# The context names a user entry that does not exist.
prepare() { kubeconfig_edit 'del(.users[] | select(.name == "lab-pdx-admin"))'; }
ARGS=(--kubeconfig "$CASE_KUBECONFIG" join iad pdx "${JOIN_FLAGS[@]}")
