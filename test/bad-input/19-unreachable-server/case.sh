# pdx's API server is down (stopped with the lab's fault hook, started again after).
EXPECT_REQUESTS=1  # iad's preflight runs
prepare() { "$LAB" stop-apiserver --cluster pdx --dir "$LAB_DIR" >/dev/null; }
cleanup() { "$LAB" start-apiserver --cluster pdx --dir "$LAB_DIR" >/dev/null; }
ARGS=(--kubeconfig "$CASE_KUBECONFIG" join iad pdx "${JOIN_FLAGS[@]}")
