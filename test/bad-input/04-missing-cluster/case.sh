# The context names a cluster entry that does not exist.
prepare() { kubeconfig_edit 'del(.clusters[] | select(.name == "lab-pdx"))'; }
ARGS=(--kubeconfig "$CASE_KUBECONFIG" join iad pdx "${JOIN_FLAGS[@]}")
