# join with one context: there is nothing to mesh.
ARGS=(--kubeconfig "$CASE_KUBECONFIG" join iad "${JOIN_FLAGS[@]}")
