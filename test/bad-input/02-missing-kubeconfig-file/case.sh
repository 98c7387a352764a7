# --kubeconfig names a file that does not exist.
ARGS=(--kubeconfig /nonexistent/kubeconfig join iad pdx "${JOIN_FLAGS[@]}")
