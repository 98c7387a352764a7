# The exec plugin exits 0 but prints something that is not an ExecCredential.
EXPECT_REQUESTS=1  # iad's preflight runs
prepare() {
  kubeconfig_set_user pdx "$(exec_user "$(write_plugin plugin 'echo "Welcome! Your token is in the usual place."')")"
}
ARGS=(--kubeconfig "$CASE_KUBECONFIG" join iad pdx "${JOIN_FLAGS[@]}")
