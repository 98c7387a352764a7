# No token controller in pdx: join waits a bounded time and names pdx.
"$LAB" token-controller --cluster pdx off --dir "$LAB_DIR" >/dev/null
started=$SECONDS
meshctl join iad pdx --token-wait 8s "${JOIN_FLAGS[@]}"
waited=$((SECONDS - started))
expect_rc 1 "join fails when pdx's token is never filled"
check "the error names pdx and the token controller" grep -q 'pdx.*token controller' <<<"$MESH_ERR"
check "the wait was bounded by --token-wait 8s (took ${waited}s)" test "$waited" -ge 7 -a "$waited" -le 20
"$LAB" token-controller --cluster pdx on --dir "$LAB_DIR" >/dev/null
meshctl join iad pdx "${JOIN_FLAGS[@]}"
expect_rc 0 "a re-run converges once the controller is back"
harvest_secrets
meshctl teardown iad pdx
expect_rc 0 "clean up"
