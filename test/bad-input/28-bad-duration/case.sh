# A duration meshctl cannot read is refused, never replaced by the default.
ARGS=(--kubeconfig "$CASE_KUBECONFIG" status iad --request-timeout 10x)
