# certificate-authority-data holds characters base64 does not have.
prepare() { kubeconfig_set_cluster_field pdx certificate-authority-data 'LS0tLS1CRUdJTi*not%base64'; }
ARGS=(--kubeconfig "$CASE_KUBECONFIG" join iad pdx "${JOIN_FLAGS[@]}")
