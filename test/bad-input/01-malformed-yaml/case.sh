# The kubeconfig is not YAML (an unclosed flow sequence).
prepare() { printf 'apiVersion: v1\nclusters: [\n' >"$CASE_KUBECONFIG"; }
ARGS=(--kubeconfig "$CASE_KUBECONFIG" join iad pdx "${JOIN_FLAGS[@]}")
