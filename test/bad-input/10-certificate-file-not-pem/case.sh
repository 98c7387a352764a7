# certificate-authority names a DER file (a common mix-up): it exists but is not PEM.
prepare() {
  jq -r '.clusters[] | select(.name == "lab-pdx") | .cluster["certificate-authority-data"]' "$CASE_KUBECONFIG" |
    base64 -d | openssl x509 -outform DER -out "$CASE_TMP/ca.der"
  kubeconfig_edit '(.clusters[] | select(.name == "lab-pdx") | .cluster) |=
    (del(.["certificate-authority-data"]) + {"certificate-authority": "ca.der"})'
}
ARGS=(--kubeconfig "$CASE_KUBECONFIG" join iad pdx "${JOIN_FLAGS[@]}")
