# The exec plugin never answers (and starts a child that would outlive it).
# meshctl bounds a plugin at 60 s (ExecOptions::timeout) and kills its whole
# process group: both must be gone when meshctl returns.
EXPECT_REQUESTS=1  # iad's preflight runs
MIN_SECONDS=59
MAX_SECONDS=80
prepare() {
  local body
  body="sleep 3600 & echo \$! >'$CASE_TMP/child.pid'; echo \$\$ >'$CASE_TMP/plugin.pid'; wait"
  kubeconfig_set_user pdx "$(exec_user "$(write_plugin plugin "$body")")"
}
cleanup() {
  local f pid state
  for f in plugin child; do
    pid=$(cat "$CASE_TMP/$f.pid" 2>/dev/null) || { fail "16-exec-plugin-hangs: the plugin never started ($f)"; continue; }
    # A killed orphan may stay a zombie until init reaps it: that is stopped.
    state=$(ps -o stat= -p "$pid" 2>/dev/null || true)
    if [[ -n "$state" && "$state" != Z* ]]; then
      fail "16-exec-plugin-hangs: the $f ($pid, state $state) outlived meshctl"
      kill -9 "$pid" 2>/dev/null || true  # started by this test
    else
      pass "16-exec-plugin-hangs: the $f was stopped"
    fi
  done
}
ARGS=(--kubeconfig "$CASE_KUBECONFIG" join iad pdx "${JOIN_FLAGS[@]}")
