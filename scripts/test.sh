#!/usr/bin/env bash
# The test command (README, .ci/run): installs what is missing, builds meshctl
# with ASan+UBSan, runs the unit tests, then the lab's own acceptance checks
# and meshctl's end-to-end suite against real control planes on loopback.
#
#   scripts/test.sh            everything
#   scripts/test.sh unit       everything but the lab: unit tests, the Release
#                              build and its packages (as root: the chroot and
#                              krew checks, dpkg -i), shells, the short fuzz run
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
what="${1:-all}"

scripts/install-deps.sh
echo "== formatting (clang-format --dry-run -Werror)"
scripts/format.sh --check
build="$root/build-test"
MESHCTL_SANITIZE=1 MESHCTL_WERROR=1 scripts/build.sh "$build"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

echo "== unit tests (ASan+UBSan)"
ctest --test-dir "$build" --output-on-failure

echo "== Release build (what users and packagers build; warnings as errors here only)"
# One Release build makes both artefacts: the self-contained tarball (and its
# krew manifest), and the .deb.
dist="$root/build-release/dist"
rm -rf "$dist"
MESHCTL_WERROR=1 MESHCTL_PORTABLE_BUILD="$root/build-release" scripts/package-portable.sh "$dist"
installed="$root/build-release/meshctl"
if [[ $(id -u) -eq 0 ]]; then
  echo "== portable tarball on a root that holds nothing but glibc (chroot), and through krew"
  test/portable/check.sh "$dist"/meshctl-*-linux-*.tar.gz
  test/portable/krew.sh "$dist"/meshctl-*-linux-*.tar.gz "$dist/meshctl.yaml"
  # The package users install: built by CPack, installed with dpkg -i; from
  # then on the examples in the end-to-end suite run the installed binary.
  echo "== package (.deb by CPack, installed with dpkg -i)"
  (cd "$root/build-release" && rm -f meshctl_*.deb && cpack -G DEB >/dev/null)
  dpkg -i "$root"/build-release/meshctl_*.deb >/dev/null
  installed=/usr/bin/meshctl
  "$installed" version
  for f in /usr/bin/kubectl-meshctl /usr/bin/kubectl_complete-meshctl /usr/share/man/man1/meshctl.1.gz \
    /usr/share/zsh/vendor-completions/_meshctl /usr/share/fish/vendor_completions.d/meshctl.fish \
    /usr/share/bash-completion/completions/meshctl; do
    dpkg -S "$f" >/dev/null || { echo "package: $f is not in the .deb" >&2; exit 1; }
  done
  if readelf -d "$installed" | grep -q RUNPATH; then
    echo "package: the installed binary carries a RUNPATH" >&2
    exit 1
  fi
else
  echo "== not root: the chroot check, krew and dpkg -i are skipped (CI runs as root); the build tree's binary stands in"
fi

echo "== shells (completion in bash, zsh, fish; kubectl plugin; man page)"
MESHCTL="$installed" test/shell/check.sh

echo "== fuzzing (libFuzzer + ASan/UBSan, 10 s per target)"
scripts/fuzz.sh 10

[[ "$what" == unit ]] && exit 0

echo "== lab: building the control-plane binaries (cached by version)"
test/lab/build-binaries.sh >/dev/null
echo "== lab unit tests (go test, with its vet checks)"
(cd test/lab && GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0 go test -count=1 ./...)
echo "== lab acceptance (kubectl only)"
test/lab/acceptance.sh
echo "== end-to-end (meshctl on the lab, asserted with kubectl)"
MESHCTL="$build/meshctl" MESHCTL_PACKAGED="$installed" test/e2e/run.sh
