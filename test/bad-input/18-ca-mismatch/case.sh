# certificate-authority-data holds a CA that did not sign the server's
# certificate (a fresh self-signed one, made at run time).
EXPECT_REQUESTS=1  # iad's preflight runs
prepare() {
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$CASE_TMP/other-ca.key" -out "$CASE_TMP/other-ca.crt" \
    -days 1 -subj "/CN=some-other-ca" 2>/dev/null
  kubeconfig_set_cluster_field pdx certificate-authority-data "$(base64 -w0 "$CASE_TMP/other-ca.crt")"
}
ARGS=(--kubeconfig "$CASE_KUBECONFIG" join iad pdx "${JOIN_FLAGS[@]}")
