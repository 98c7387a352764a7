# The user's client certificate expired (signed by the lab's own CA for
# system:masters, so expiry is the only thing wrong with it). Made at run time.
EXPECT_REQUESTS=1  # iad's preflight runs
prepare() {
  local ca="$LAB_DIR/clusters/pdx/pki"
  mkdir -p "$CASE_TMP/ca"
  : >"$CASE_TMP/ca/index.txt"
  echo 01 >"$CASE_TMP/ca/serial"
  cat >"$CASE_TMP/ca/ca.cnf" <<CNF
[ca]
default_ca = lab
[lab]
database = $CASE_TMP/ca/index.txt
new_certs_dir = $CASE_TMP/ca
serial = $CASE_TMP/ca/serial
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
organizationName = optional
CNF
  openssl req -new -newkey rsa:2048 -nodes -keyout "$CASE_TMP/client.key" -out "$CASE_TMP/client.csr" \
    -subj "/O=system:masters/CN=expired-admin" 2>/dev/null
  openssl ca -batch -config "$CASE_TMP/ca/ca.cnf" -cert "$ca/ca.crt" -keyfile "$ca/ca.key" -notext \
    -startdate 20200101000000Z -enddate 20200102000000Z -in "$CASE_TMP/client.csr" \
    -out "$CASE_TMP/client.crt" 2>/dev/null
  grep -v -- '-----' "$CASE_TMP/client.key" | head -3 >>"$LAB_DIR/secret-values"  # for the secrets scan
  kubeconfig_set_user pdx "$(jq -n --arg c "$(base64 -w0 "$CASE_TMP/client.crt")" \
    --arg k "$(base64 -w0 "$CASE_TMP/client.key")" '{"client-certificate-data": $c, "client-key-data": $k}')"
}
ARGS=(--kubeconfig "$CASE_KUBECONFIG" join iad pdx "${JOIN_FLAGS[@]}")
