# A mistyped flag: one line naming it and the flag meant.
ARGS=(--kubeconfig "$CASE_KUBECONFIG" join iad pdx --timeot 30s "${JOIN_FLAGS[@]}")
