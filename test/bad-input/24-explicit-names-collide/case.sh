# The same mesh name given explicitly to two contexts.
ARGS=(--kubeconfig "$CASE_KUBECONFIG" join a=iad a=pdx "${JOIN_FLAGS[@]}")
