# The exec plugin exits non-zero; what it says on stderr reaches the user as
# it is (as with kubectl), then meshctl's one line.
EXPECT_REQUESTS=1  # iad's preflight runs
PASSTHROUGH_REGEX='^fake-plugin: '
prepare() {
  kubeconfig_set_user pdx "$(exec_user "$(write_plugin plugin 'echo "fake-plugin: session expired, log in again" >&2; exit 3')")"
}
ARGS=(--kubeconfig "$CASE_KUBECONFIG" join iad pdx "${JOIN_FLAGS[@]}")
