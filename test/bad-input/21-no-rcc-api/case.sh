# fra does not serve the RemoteClusterConfiguration API (its CRD is deleted
# here and restored after).
EXPECT_REQUESTS=1
prepare() {
  kc fra get crd remoteclusterconfigurations.projectcalico.org -o json |
    jq 'del(.metadata.resourceVersion, .metadata.uid, .metadata.creationTimestamp, .metadata.generation,
            .metadata.managedFields, .status)' >"$CASE_TMP/rcc-crd.json"
  kc fra delete crd remoteclusterconfigurations.projectcalico.org --wait=true >/dev/null
}
cleanup() {
  kc fra create -f "$CASE_TMP/rcc-crd.json" >/dev/null
  kc fra wait --for=condition=Established crd/remoteclusterconfigurations.projectcalico.org \
    --timeout=60s >/dev/null
}
ARGS=(--kubeconfig "$CASE_KUBECONFIG" join iad fra "${JOIN_FLAGS[@]}")
