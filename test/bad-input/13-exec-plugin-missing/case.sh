# The exec credential plugin is not installed; its installHint is shown.
EXPECT_REQUESTS=1  # iad's preflight runs
prepare() { kubeconfig_set_user pdx "$(exec_user meshctl-no-such-plugin 'install meshctl-no-such-plugin from your cloud provider')"; }
ARGS=(--kubeconfig "$CASE_KUBECONFIG" join iad pdx "${JOIN_FLAGS[@]}")
