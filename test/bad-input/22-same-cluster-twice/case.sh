# Two contexts that reach the same cluster (the lab's EKS-style kubeconfig
# names iad's server again as iad-eks).
EXPECT_REQUESTS=1
prepare() { KUBECONFIG="$KUBECONFIG:$LAB_EKS_KUBECONFIG" kubectl config view --raw --flatten -o json >"$CASE_KUBECONFIG"; }
ARGS=(--kubeconfig "$CASE_KUBECONFIG" join iad iad-eks "${JOIN_FLAGS[@]}")
