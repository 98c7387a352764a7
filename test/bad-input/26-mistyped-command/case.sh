# A mistyped command: one line naming it and the command meant.
ARGS=(--kubeconfig "$CASE_KUBECONFIG" joni iad pdx)
