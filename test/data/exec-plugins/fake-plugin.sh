#!/bin/bash
# Test-only stand-in for an exec credential plugin (aws eks get-token, kubelogin,
# gke-gcloud-auth-plugin). Usage: fake-plugin.sh MODE [API_VERSION]
#
# Environment (set through exec.env or inherited from the test):
#   PLUGIN_RUNS    file that gets one line per run (counts runs for cache tests)
#   PLUGIN_INFO    file that receives $KUBERNETES_EXEC_INFO
#   PLUGIN_STDIN   file that receives what stdin points at
#   PLUGIN_TOKEN   token to answer with
#   PLUGIN_EXPIRY  expirationTimestamp to answer with
set -u
mode=${1:-token}
api=${2:-client.authentication.k8s.io/v1}
if [ -n "${PLUGIN_RUNS:-}" ]; then echo run >>"$PLUGIN_RUNS"; fi
if [ -n "${PLUGIN_INFO:-}" ]; then printf '%s' "${KUBERNETES_EXEC_INFO-unset}" >"$PLUGIN_INFO"; fi
if [ -n "${PLUGIN_STDIN:-}" ]; then readlink /proc/self/fd/0 >"$PLUGIN_STDIN"; fi

expiry=""
if [ -n "${PLUGIN_EXPIRY:-}" ]; then expiry=",\"expirationTimestamp\":\"$PLUGIN_EXPIRY\""; fi
certs="$(dirname "$0")/../kubeconfig/certs"
# PEM as a JSON string: newlines become \n.
json_pem() { awk '{printf "%s\\n", $0}' "$1"; }

case $mode in
  token)
    printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"%s"%s}}\n' \
      "$api" "${PLUGIN_TOKEN:-meshctl-test-exec-token}" "$expiry" ;;
  cert)
    printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"clientCertificateData":"%s","clientKeyData":"%s"%s}}\n' \
      "$api" "$(json_pem "$certs/test-only-client.crt")" "$(json_pem "$certs/test-only-client.key")" "$expiry" ;;
  cert-only)
    printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"clientCertificateData":"%s"}}\n' \
      "$api" "$(json_pem "$certs/test-only-client.crt")" ;;
  no-status)
    printf '{"apiVersion":"%s","kind":"ExecCredential"}\n' "$api" ;;
  garbage)
    echo "Welcome! your token is meshctl-test-garbage-secret, enjoy" ;;
  fail)
    echo "fake-plugin: access denied" >&2
    exit 3 ;;
  hang)
    exec sleep 30 ;;
  *)
    echo "fake-plugin: unknown mode $mode" >&2
    exit 64 ;;
esac
