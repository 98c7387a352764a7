#!/usr/bin/env bash
# Builds the upstream control-plane binaries the lab runs (etcd, kube-apiserver,
# kube-controller-manager) from the Go module proxy, and caches them outside the
# work tree keyed by version, so only the first run on a machine pays the build.
#
# Prints the directory holding the binaries on stdout; progress goes to stderr.
set -euo pipefail

K8S_VERSION="${MESHCTL_LAB_K8S_VERSION:-v1.33.13}"
ETCD_VERSION="${MESHCTL_LAB_ETCD_VERSION:-v3.5.21}"
CACHE_ROOT="${MESHCTL_LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/meshctl-lab}"
OUT="$CACHE_ROOT/bin-k8s-$K8S_VERSION-etcd-$ETCD_VERSION"

have_all() {
  [[ -x "$OUT/etcd" && -x "$OUT/kube-apiserver" && -x "$OUT/kube-controller-manager" ]]
}

if have_all; then
  echo "$OUT"
  exit 0
fi

# The staging modules k8s.io/kubernetes requires at v0.0.0 (list from lab.md, 1.32 to 1.35).
STAGING="api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider
cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api
cri-client csi-translation-lib dynamic-resource-allocation endpointslice externaljwt kms
kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics
mount-utils pod-security-admission sample-apiserver"

minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
patch="${K8S_VERSION##*.}"
staging_version="v0.$minor.$patch"

work="$CACHE_ROOT/src-k8s-$K8S_VERSION-etcd-$ETCD_VERSION"
mkdir -p "$work/k8s" "$work/etcd" "$OUT.partial"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod

echo "lab: building kube-apiserver and kube-controller-manager $K8S_VERSION (first run only; 10-20 min on 2 cores)" >&2
{
  echo "module meshctl.lab/k8sbuild"
  echo
  echo "go 1.24.0"
  echo
  echo "godebug default=go1.24"
  echo
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo
  for m in $STAGING; do echo "replace k8s.io/$m => k8s.io/$m $staging_version"; done
} > "$work/k8s/go.mod"
cat > "$work/k8s/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
GO
ver_flags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ver_flags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
(
  cd "$work/k8s"
  go mod tidy -e >/dev/null 2>&1 || true
  go build -trimpath -tags selinux,notest -ldflags "-s -w $ver_flags" \
    -o "$OUT.partial/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
)

echo "lab: building etcd $ETCD_VERSION" >&2
cat > "$work/etcd/go.mod" <<GOMOD
module meshctl.lab/etcdbuild

go 1.23

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
GOMOD
cat > "$work/etcd/tools.go" <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
(
  cd "$work/etcd"
  go mod tidy -e >/dev/null 2>&1 || true
  go build -trimpath -ldflags "-s -w" -o "$OUT.partial/etcd" go.etcd.io/etcd/server/v3
)

rm -rf "$OUT"
mv "$OUT.partial" "$OUT"
echo "$OUT"
