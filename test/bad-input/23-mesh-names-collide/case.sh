# Two different clusters whose contexts sanitise to the same mesh name
# (gke_PROJECT_ZONE_NAME becomes NAME).
prepare() {
  kubeconfig_edit '.contexts += [{name: "gke_proj_us-east1_iad", context: {cluster: "lab-pdx", user: "lab-pdx-admin"}}]'
}
ARGS=(--kubeconfig "$CASE_KUBECONFIG" join iad gke_proj_us-east1_iad "${JOIN_FLAGS[@]}")
