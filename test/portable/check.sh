#!/usr/bin/env bash
# Proves the portable tarball (scripts/package-portable.sh) on a second root:
# a directory holding nothing but Debian's libc6 package, unpacked with
# dpkg-deb -x (no libstdc++, curl, OpenSSL, yaml-cpp, ...). The tarball goes
# to /opt in that root and meshctl runs there under a plain chroot (needs root).
#
#   test/portable/check.sh TARBALL
#
# libc6 comes from the configured apt mirror (apt-get download) and is kept in
# ${XDG_CACHE_HOME:-$HOME/.cache}/meshctl-portable/, one file per version.
# PORTABLE_CHECK_REMOVE=libfoo.so.1 deletes that bundled library after
# unpacking, to show the check fails when the bundle is incomplete.
set -euo pipefail

tarball="${1:?usage: test/portable/check.sh TARBALL}"
[[ -f "$tarball" ]] || { echo "check: no such file: $tarball" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "check: chroot needs root" >&2; exit 2; }
for tool in apt-get apt-cache dpkg dpkg-deb chroot mount mountpoint readelf objdump openssl timeout; do
  command -v "$tool" >/dev/null || { echo "check: $tool is missing" >&2; exit 2; }
done
chroot="$(command -v chroot)" # env -i below clears PATH

failures=0
ok() { echo "ok    $*"; }
fail() {
  echo "FAIL  $*"
  failures=$((failures + 1))
}

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
  [[ -z "$server_pid" ]] || kill "$server_pid" 2>/dev/null || true
  if mountpoint -q "$tmp/root/proc" 2>/dev/null; then
    umount "$tmp/root/proc" 2>/dev/null || umount -l "$tmp/root/proc" 2>/dev/null || true
  fi
  # --one-file-system: never into a mount that did not go away.
  rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM # (the EXIT trap still unmounts /proc and cleans up)
root="$tmp/root"
mkdir -p "$root"

# --- the root: glibc from Debian, nothing else -------------------------------
arch="$(dpkg --print-architecture)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/meshctl-portable"
mkdir -p "$cache"
libc_version="$(apt-cache policy libc6 | sed -n 's/^ *Candidate: *//p')"
[[ -n "$libc_version" && "$libc_version" != "(none)" ]] ||
  { echo "check: apt knows no libc6 (run apt-get update)" >&2; exit 2; }
deb="$cache/libc6_${libc_version//:/%3a}_$arch.deb"
if [[ ! -s "$deb" ]]; then
  mkdir "$tmp/dl"
  if ! (cd "$tmp/dl" && apt-get download "libc6=$libc_version") >"$tmp/dl.log" 2>&1; then
    cat "$tmp/dl.log" >&2
    echo "check: apt-get download libc6=$libc_version failed (run apt-get update?)" >&2
    exit 2
  fi
  mv "$tmp/dl/"libc6_*.deb "$deb.part" && mv "$deb.part" "$deb"
fi
dpkg-deb -x "$deb" "$root"
mkdir -p "$root/tmp" "$root/root" "$root/opt" "$root/proc"
# Every Linux system has /proc; the loader reads /proc/self/exe to expand the
# binary's $ORIGIN (without it, RUNPATH $ORIGIN/../lib finds nothing).
mount -t proc proc "$root/proc"
glibc_root="${libc_version%%-*}"
glibc_root="${glibc_root#*:}"
others="$(find "$root" -path "$root/proc" -prune -o \( -type f -o -type l \) -name '*.so*' ! -name 'ld-linux*' ! -name 'lib[cm].so.*' ! -name 'libmvec.so.*' \
  ! -name 'libpthread.so.*' ! -name 'libdl.so.*' ! -name 'librt.so.*' ! -name 'libresolv.so.*' \
  ! -name 'libutil.so.*' ! -name 'libanl.so.*' ! -name 'libnss_*' ! -name 'libnsl.so.1' \
  ! -name 'libthread_db.so.*' ! -name 'libBrokenLocale.so.*' ! -name 'libc_malloc_debug.so.*' \
  ! -name 'libmemusage.so' ! -name 'libpcprofile.so' ! -path '*/gconv/*' -printf '%P ')"
if [[ -z "$others" ]]; then
  ok "root from libc6 $libc_version only (glibc $glibc_root, no other library)"
else
  fail "root holds libraries besides glibc: $others"
fi

# --- the tarball --------------------------------------------------------------
tar -xzf "$tarball" -C "$root/opt"
tops=("$root/opt"/meshctl-*)
if [[ ${#tops[@]} -ne 1 || ! -d "${tops[0]}" ]]; then
  echo "check: the tarball must hold one meshctl-<version>/ directory" >&2
  exit 1
fi
top="${tops[0]}"
name="${top##*/}"
bin="/opt/$name/bin/meshctl"
if [[ -n "${PORTABLE_CHECK_REMOVE:-}" ]]; then
  rm "$top/lib/$PORTABLE_CHECK_REMOVE"
  echo "note  removed lib/$PORTABLE_CHECK_REMOVE from the unpacked tree (PORTABLE_CHECK_REMOVE)"
fi

missing=()
for f in bin/meshctl LICENSE README.md PLATFORMS; do [[ -f "$top/$f" ]] || missing+=("$f"); done
libs=("$top/lib/"*.so*)
[[ -e "${libs[0]}" ]] || missing+=("lib/*.so*")
if ((${#missing[@]})); then
  fail "layout of $name: missing ${missing[*]}"
else
  ok "layout: $name/{bin/meshctl,lib/ (${#libs[@]} libraries),LICENSE,README.md,PLATFORMS}"
fi

runpath="$(readelf -d "$top/bin/meshctl" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')"
# $ORIGIN is literal text in the ELF file.
# shellcheck disable=SC2016
if [[ "$runpath" == '$ORIGIN/../lib' ]]; then
  ok "bin/meshctl RUNPATH \$ORIGIN/../lib"
else
  fail "bin/meshctl RUNPATH is '$runpath'"
fi

stated="$(sed -n 's/^glibc-min: *//p' "$top/PLATFORMS")"
measured="$(for f in "$top/bin/meshctl" "${libs[@]}"; do [[ -f "$f" ]] && objdump -T "$f"; done |
  grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/^GLIBC_//' | sort -uV | tail -n1)"
if [[ -n "$stated" && "$stated" == "$measured" ]] &&
  [[ "$(printf '%s\n' "$stated" "$glibc_root" | sort -V | head -n1)" == "$stated" ]]; then
  ok "PLATFORMS says glibc >= $stated, as measured (objdump -T); the root has $glibc_root"
else
  fail "glibc: PLATFORMS says '$stated', objdump says '$measured', the root has $glibc_root"
fi

# --- what the dynamic loader of the root resolves ----------------------------
is_glibc() {
  case "$1" in
    linux-vdso.so* | ld-linux*.so* | libc.so.* | libm.so.* | libmvec.so.* | libpthread.so.* | libdl.so.* | \
      librt.so.* | libresolv.so.* | libutil.so.* | libanl.so.* | libnss_*.so.* | libthread_db.so.* | \
      libBrokenLocale.so.* | libc_malloc_debug.so.*) return 0 ;;
  esac
  return 1
}
loaders=("$root"/lib64/ld-linux-*.so.*)
list_rc=0
env -i LC_ALL=C "$chroot" "$root" "${loaders[0]#"$root"}" --list "$bin" >"$tmp/list" 2>&1 || list_rc=$?
bad=()
count=0
while read -r soname arrow path _; do
  [[ "$arrow" == "=>" ]] || continue
  count=$((count + 1))
  if [[ "$path" == not ]]; then bad+=("$soname: not found"); continue; fi
  resolved="$(realpath -m "$root$path")"
  resolved="${resolved#"$root"}"
  if is_glibc "$soname"; then
    [[ "$resolved" == /lib/* || "$resolved" == /lib64/* || "$resolved" == /usr/lib/* ]] || bad+=("$soname => $resolved")
  else
    [[ "$resolved" == "/opt/$name/lib/$soname" ]] || bad+=("$soname => $resolved")
  fi
done <"$tmp/list"
if ((list_rc == 0 && ${#bad[@]} == 0 && count > 0)); then
  ok "ld.so --list in the root: $count libraries, glibc from the root, the rest from /opt/$name/lib"
else
  fail "ld.so --list in the root (rc $list_rc): ${bad[*]:-$(head -n3 "$tmp/list")}"
fi

# --- meshctl in the root -------------------------------------------------------
# run NAME ARGS...: meshctl in the root with an empty environment; sets rc,
# and leaves stdout/stderr in $tmp/NAME.out / $tmp/NAME.err.
run() {
  local tag="$1"
  shift
  rc=0
  env -i HOME=/root LC_ALL=C PATH=/usr/bin:/bin timeout 60 "$chroot" "$root" "$bin" "$@" \
    >"$tmp/$tag.out" 2>"$tmp/$tag.err" || rc=$?
}
first_err() { head -n1 "$tmp/$1.err"; }
both() { cat "$tmp/$1.out" "$tmp/$1.err" | head -c 400 | tr '\n' ' '; }

version="${name#meshctl-}"
run version version
if ((rc == 0)) && grep -q "$version" "$tmp/version.out"; then
  ok "meshctl version: exit 0, $(head -n1 "$tmp/version.out")"
else
  fail "meshctl version: exit $rc: $(first_err version)"
fi

run help --help
if ((rc == 0)) && grep -q '^Usage: meshctl' "$tmp/help.out"; then
  ok "meshctl --help: exit 0"
else
  fail "meshctl --help: exit $rc: $(first_err help)"
fi

# Fake, non-secret data: nothing listens on port 1.
cat >"$root/root/kubeconfig" <<'EOF'
apiVersion: v1
kind: Config
current-context: alpha
clusters:
- name: alpha
  cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
- name: beta
  cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
users:
- name: fake
  user: {token: not-a-secret-portable-check}
contexts:
- name: alpha
  context: {cluster: alpha, user: fake}
- name: beta
  context: {cluster: beta, user: fake}
EOF
run contexts --kubeconfig /root/kubeconfig contexts
if ((rc == 0)) && grep -Eq '^\*? +alpha +alpha ' "$tmp/contexts.out" && grep -Eq '^ +beta +beta ' "$tmp/contexts.out"; then
  ok "meshctl contexts: exit 0, lists alpha and beta"
else
  fail "meshctl contexts: exit $rc: $(first_err contexts)"
fi

# On stdout the table's header, then one line for the cluster; on stderr one
# line saying what keeps the mesh from healthy.
run status --kubeconfig /root/kubeconfig status --context alpha
report="$(grep -v '^LOCAL  *REMOTE' "$tmp/status.out" || true)"
if ((rc == 4)) && [[ $(wc -l <<<"$report") -eq 1 && $(grep -c . "$tmp/status.err") -eq 1 ]] &&
  grep -q 'cluster alpha .*unreachable.*127.0.0.1 port 1' <<<"$report" &&
  grep -qx 'meshctl: the mesh is not healthy (exit 4): alpha unreachable' "$tmp/status.err"; then
  ok "meshctl status --context alpha (nothing listening): exit 4, one line each on stdout and stderr: $report"
else
  fail "meshctl status --context alpha: exit $rc (want 4 and one line): $(both status)"
fi

# --- a TLS handshake through the bundled libcurl + OpenSSL -------------------
# openssl s_server on the host's loopback (the chroot shares the network) with
# a throwaway certificate; "good" trusts it, "bad" trusts another CA.
mkcert() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -keyout "$tmp/$1.key" -out "$tmp/$1.crt" -subj "/CN=$2" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
}
mkcert server 127.0.0.1
mkcert other meshctl-check-other-ca
port=""
for _ in 1 2 3 4 5; do
  try=$((20000 + RANDOM % 20000))
  openssl s_server -accept "127.0.0.1:$try" -cert "$tmp/server.crt" -key "$tmp/server.key" -www \
    </dev/null >"$tmp/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 50); do
    grep -q '^ACCEPT' "$tmp/server.log" && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if grep -q '^ACCEPT' "$tmp/server.log" && kill -0 "$server_pid" 2>/dev/null; then port="$try"; break; fi
  kill "$server_pid" 2>/dev/null || true
  server_pid=""
done
if [[ -z "$port" ]]; then
  fail "TLS: openssl s_server did not start: $(head -n2 "$tmp/server.log")"
else
  cat >"$root/root/kubeconfig-tls" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: good
  cluster: {server: "https://127.0.0.1:$port", certificate-authority-data: $(base64 -w0 "$tmp/server.crt")}
- name: bad
  cluster: {server: "https://127.0.0.1:$port", certificate-authority-data: $(base64 -w0 "$tmp/other.crt")}
users:
- name: fake
  user: {token: not-a-secret-portable-check}
contexts:
- name: good
  context: {cluster: good, user: fake}
- name: bad
  context: {cluster: bad, user: fake}
EOF
  # The handshake verifies and the request is answered (with s_server's HTML page, not JSON).
  run tls-good --kubeconfig /root/kubeconfig-tls version --context good
  if ((rc != 0)) && grep -q 'GET /version: the answer is not a JSON object' "$tmp/tls-good.err"; then
    ok "TLS to 127.0.0.1:$port, CA trusted: handshake verified, HTTP answer read (not JSON, exit $rc)"
  else
    fail "TLS with the right CA: exit $rc: $(both tls-good)"
  fi
  run tls-bad --kubeconfig /root/kubeconfig-tls status --context bad
  if ((rc == 4)) && grep -q 'cluster bad .*TLS: SSL certificate problem' "$tmp/tls-bad.out"; then
    ok "TLS to 127.0.0.1:$port, another CA: exit 4, $(grep -o 'SSL certificate problem.*' "$tmp/tls-bad.out")"
  else
    fail "TLS with another CA: exit $rc (want 4): $(both tls-bad)"
  fi
fi

if ((failures)); then
  echo "$failures check(s) failed: $tarball is not proven on the glibc-only root"
  exit 1
fi
echo "all checks passed: $tarball runs on a root holding only glibc $glibc_root"
