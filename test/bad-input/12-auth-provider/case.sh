# The user uses an auth-provider, which client-go (and kubectl) removed.
prepare() { kubeconfig_set_user pdx '{"auth-provider": {"name": "gcp", "config": {"cmd-path": "gcloud"}}}'; }
ARGS=(--kubeconfig "$CASE_KUBECONFIG" join iad pdx "${JOIN_FLAGS[@]}")
