# Every token, stored credential and admin key seen during the run must be
# absent from everything meshctl wrote (stdout and stderr, -v included).
harvest_secrets
# The scan must be able to fail: it has to find a value planted in an artefact.
probe_dir="$(mktemp -d)"
echo "prefix planted-credential-0123456789 suffix" >"$probe_dir/probe.err"
if grep -rqF --include='*.out' --include='*.err' -- "planted-credential-0123456789" "$probe_dir"; then
  pass "the secrets scan detects a planted value"
else
  fail "the secrets scan cannot detect a planted value"
fi
rm -rf "$probe_dir"
values="$LAB_DIR/secret-values"
n_values=$(sort -u "$values" | grep -c . || true)
if [[ "$n_values" -lt 3 ]]; then
  fail "secrets scan found too few secrets to be meaningful ($n_values)"
else
  leaked=0
  while IFS= read -r value; do
    [[ ${#value} -ge 16 ]] || continue
    if grep -rqF --include='*.out' --include='*.err' -- "$value" "$ARTIFACTS"; then
      leaked=$((leaked + 1))
    fi
  done < <(sort -u "$values")
  if [[ "$leaked" == 0 ]]; then
    pass "none of $n_values credentials appears in $(ls "$ARTIFACTS"/*.out | wc -l) meshctl runs' output"
  else
    fail "$leaked credential(s) appear in meshctl output under $ARTIFACTS"
  fi
fi
