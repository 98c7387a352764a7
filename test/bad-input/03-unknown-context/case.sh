# A context that is not in the kubeconfig.
ARGS=(--kubeconfig "$CASE_KUBECONFIG" join iad nowhere "${JOIN_FLAGS[@]}")
