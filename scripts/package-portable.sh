#!/usr/bin/env bash
# Builds the portable artefact of meshctl: one tarball that runs on an x86_64
# Linux with a new enough glibc and none of Debian's other libraries.
#
#   scripts/package-portable.sh [OUT_DIR]     (default OUT_DIR: build-portable/dist)
#   MESHCTL_PORTABLE_BUILD=DIR   build directory (default build-portable; the
#                                test command shares its Release build)
#   MESHCTL_RELEASE_URL=URL      where the tarball will be published (krew manifest)
#
# Layout of meshctl-<version>-linux-<arch>.tar.gz:
#   meshctl-<version>/bin/meshctl   RUNPATH $ORIGIN/../lib
#   meshctl-<version>/bin/kubectl_complete-meshctl   kubectl's completion of the plugin
#   meshctl-<version>/share/        completions (bash, zsh, fish) and the man page
#   meshctl-<version>/lib/*.so*     every library ldd names except glibc's own,
#                                   each with RUNPATH $ORIGIN so they find each other
#   meshctl-<version>/LICENSE, README.md
#   meshctl-<version>/licenses/<package>.copyright   the bundled libraries' licences
#   meshctl-<version>/PLATFORMS     arch and the minimum glibc, measured here
# No symbolic links: krew's installer refuses them. Beside the tarball,
# meshctl.yaml is the krew plugin manifest (cmake/krew-plugin.yaml.in) with its
# sha256.
# glibc (libc, libm, ld-linux, libresolv, ...) comes from the host: see docs/portable.md.
# The proof on a root that holds nothing but glibc: test/portable/check.sh TARBALL.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${MESHCTL_PORTABLE_BUILD:-$root/build-portable}"
out="${1:-$build/dist}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

for tool in patchelf readelf objdump ldd tar gzip; do
  command -v "$tool" >/dev/null || { echo "package-portable: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done

# libfmt.so and libyaml-cpp.so are C++ libraries that need libstdc++.so.6
# themselves, so libstdc++ is bundled as a shared library rather than linked
# statically into meshctl: one copy of the C++ runtime in the process, not two.
# --as-needed drops NEEDED entries meshctl does not use.
cmake_args=(
  -DCMAKE_BUILD_TYPE=Release -DMESHCTL_TESTS=OFF
  "-DCMAKE_EXE_LINKER_FLAGS=-Wl,--as-needed"
  "-DCMAKE_INSTALL_RPATH="
)
echo "== build ($build)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
log="$work/build.log"
# scripts/build.sh configures only a fresh directory; re-apply the flags to an old one.
if ! { [[ ! -f "$build/CMakeCache.txt" ]] || cmake -S "$root" -B "$build" "${cmake_args[@]}"; } >"$log" 2>&1 ||
  ! "$root/scripts/build.sh" "$build" "${cmake_args[@]}" >>"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "package-portable: the build failed (last lines above)" >&2
  exit 1
fi

version="$("$build/meshctl" version -o json | sed -n 's/^ *"clientVersion": *"\([^"]*\)".*/\1/p')"
[[ -n "$version" ]] || { echo "package-portable: no clientVersion in 'meshctl version -o json'" >&2; exit 1; }
arch="$(uname -m)"
name="meshctl-$version"
tarball="$out/$name-linux-$arch.tar.gz"

stage="$work/stage"
top="$stage/$name"
# cmake --install strips; take the binary from there. The RUNPATH is set on
# this copy only, so the .deb made from the same build carries none.
cmake --install "$build" --prefix "$stage/install" --strip >/dev/null
mkdir -p "$top/bin" "$top/lib"
cp "$stage/install/bin/meshctl" "$stage/install/bin/kubectl_complete-meshctl" "$top/bin/"
cp -r "$stage/install/share" "$top/share"
rm -rf "$top/share/doc"  # README and LICENSE sit at the top
# shellcheck disable=SC2016
patchelf --set-rpath '$ORIGIN/../lib' "$top/bin/meshctl"
cp "$root/LICENSE" "$root/README.md" "$top/"

runpath="$(readelf -d "$top/bin/meshctl" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')"
# The quotes are deliberate: $ORIGIN is literal text in the ELF file.
# shellcheck disable=SC2016
[[ "$runpath" == '$ORIGIN/../lib' ]] || { echo "package-portable: bin/meshctl RUNPATH is '$runpath'" >&2; exit 1; }

# glibc's own libraries stay with the host (NSS, resolver, locale and the
# dynamic loader must match each other and the system configuration).
is_glibc() {
  case "$1" in
    linux-vdso.so* | ld-linux*.so* | libc.so.* | libm.so.* | libmvec.so.* | libpthread.so.* | libdl.so.* | \
      librt.so.* | libresolv.so.* | libutil.so.* | libanl.so.* | libnss_*.so.* | libthread_db.so.* | \
      libBrokenLocale.so.* | libc_malloc_debug.so.*) return 0 ;;
  esac
  return 1
}

echo "== bundle libraries"
bundled=()
sources=()
while read -r soname arrow path _; do
  [[ "$arrow" == "=>" ]] || continue
  is_glibc "$soname" && continue
  [[ -f "$path" ]] || { echo "package-portable: ldd cannot resolve $soname" >&2; exit 1; }
  cp -L "$path" "$top/lib/$soname"
  chmod 0644 "$top/lib/$soname"
  bundled+=("$soname")
  # The Debian package it came from, for whoever tracks security updates.
  pkg="$(dpkg -S "*/$soname" 2>/dev/null | sed -n '1s/:.*//p' || true)"
  [[ -z "$pkg" ]] || sources+=("$pkg $(dpkg-query -W -f='${Version}' "$pkg")")
  # Its licence travels with it (LGPL, GPL with the GCC runtime exception, ...).
  if [[ -n "$pkg" && -f "/usr/share/doc/$pkg/copyright" ]]; then
    mkdir -p "$top/licenses"
    cp -L "/usr/share/doc/$pkg/copyright" "$top/licenses/$pkg.copyright"
  else
    echo "package-portable: warning: no copyright file for $soname (package '${pkg:-?}')" >&2
  fi
done < <(env -u LD_LIBRARY_PATH ldd "$build/meshctl")
# shellcheck disable=SC2016
for lib in "${bundled[@]}"; do patchelf --set-rpath '$ORIGIN' "$top/lib/$lib"; done

# Every NEEDED entry of everything in lib/ must be bundled or glibc's.
for f in "$top/bin/meshctl" "$top/lib/"*; do
  while read -r needed; do
    is_glibc "$needed" || [[ -f "$top/lib/$needed" ]] ||
      { echo "package-portable: ${f#"$top"/} needs $needed, which is not bundled" >&2; exit 1; }
  done < <(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
done

# The newest GLIBC_x.y symbol version anything in the tarball asks for is the
# oldest glibc it runs on.
glibc_min="$(for f in "$top/bin/meshctl" "$top/lib/"*; do objdump -T "$f"; done |
  grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/^GLIBC_//' | sort -uV | tail -n1)"
needs_min="$(for f in "$top/bin/meshctl" "$top/lib/"*; do
  # (no grep -q: with pipefail, objdump's SIGPIPE would read as "no match")
  if objdump -T "$f" | grep "GLIBC_${glibc_min//./\\.}[^0-9.]" >/dev/null; then echo "${f#"$top"/}"; fi
done | paste -sd' ')"
host_glibc="$(ldd --version | sed -n '1s/.* //p')"
cxx="$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")"
os="$(sed -n 's/^PRETTY_NAME="\(.*\)"$/\1/p' /etc/os-release)"
{
  echo "name: meshctl"
  echo "version: $version"
  echo "os: linux"
  echo "arch: $arch"
  echo "glibc-min: $glibc_min"
  echo "glibc-min-set-by: $needs_min"
  echo "built-on: $os, glibc $host_glibc, $("$cxx" --version | head -n1)"
  echo "bundled: ${bundled[*]}"
  printf 'bundled-from: %s\n' "$(printf '%s\n' "${sources[@]}" | sort -u | paste -sd, | sed 's/,/, /g')"
  echo "from-host: glibc (libc.so.6, libm.so.6, ld-linux-*.so.2 and the rest of glibc)"
} >"$top/PLATFORMS"

# A stable archive: sorted names, root ownership, the commit's time.
mtime="$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)"
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@${SOURCE_DATE_EPOCH:-$mtime}" \
  -cf - "$name" | gzip -n -9 >"$tarball"

sha="$(sha256sum "$tarball" | cut -d' ' -f1)"
sed -e "s|@VERSION@|$version|g" -e "s|@SHA256@|$sha|g" -e "s|@TARBALL@|${tarball##*/}|g" \
  -e "s|@GLIBC_MIN@|$glibc_min|g" -e "s|@HOMEPAGE@|${MESHCTL_HOMEPAGE:-https://example.invalid/meshctl}|g" \
  -e "s|@RELEASE_URL@|${MESHCTL_RELEASE_URL:-https://example.invalid/meshctl/releases/v$version}|g" \
  "$root/cmake/krew-plugin.yaml.in" >"$out/meshctl.yaml"

echo "== $tarball"
echo "   krew manifest: $out/meshctl.yaml"
echo "   $(du -h "$tarball" | cut -f1) compressed, ${#bundled[@]} bundled libraries, arch $arch, needs glibc >= $glibc_min ($needs_min)"
