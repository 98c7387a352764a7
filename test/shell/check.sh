#!/usr/bin/env bash
# Checks what a user's shell sees of MESHCTL: completion in bash, zsh and fish
# through the scripts meshctl prints (each shell runs the real script), the
# kubectl plugin spelling (help, hints, kubectl_complete-meshctl), and the man
# page (rendered by man(1), roff warnings are errors).
#   MESHCTL=build/meshctl test/shell/check.sh
set -euo pipefail
: "${MESHCTL:?set MESHCTL to the meshctl binary}"
MESHCTL="$(readlink -f "$MESHCTL")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0
pass() { echo "  ok   $1"; }
fail() { echo "  FAIL $1"; failures=$((failures + 1)); }
expect() {  # expect WHAT NEEDLE HAYSTACK
  if grep -qxF -- "$2" <<<"$3"; then pass "$1"; else fail "$1: \"$2\" not in: $(echo "$3" | tr '\n' ' ')"; fi
}

# meshctl on PATH as the user has it, and a kubeconfig with two contexts.
mkdir -p "$work/bin"
ln -s "$MESHCTL" "$work/bin/meshctl"
export PATH="$work/bin:$PATH"
cat >"$work/kubeconfig" <<'YAML'
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: u
  user: {token: not-a-secret}
contexts:
- name: iad
  context: {cluster: c, user: u}
- name: pdx
  context: {cluster: c, user: u}
- name: arn:aws:eks:us-east-1:111122223333:cluster/prod
  context: {cluster: c, user: u}
current-context: iad
YAML
export KUBECONFIG="$work/kubeconfig"

echo "== bash"
# complete_line LINE WORD...: what bash hands the function for LINE, with
# COMP_WORDS as bash splits it (COMP_WORDBREAKS cuts at ":" and "=").
bash_complete() {
  bash -c 'source <(meshctl completion bash)
    COMP_LINE="$1"; COMP_POINT=${#1}; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
    _meshctl; printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
}
expect "bash: a command" join "$(bash_complete "meshctl jo" meshctl jo)"
expect "bash: contexts from the kubeconfig" pdx "$(bash_complete "meshctl join iad " meshctl join iad "")"
expect "bash: a subcommand's flag" --yes "$(bash_complete "meshctl teardown --ye" meshctl teardown --ye)"
expect "bash: a flag's listed values" yaml "$(bash_complete "meshctl status -o y" meshctl status -o y)"
expect "bash: contexts after a flag" iad "$(bash_complete "meshctl join --dry-run i" meshctl join --dry-run i)"
expect "bash: an EKS ARN context, completed after its last colon" cluster/prod \
  "$(bash_complete "meshctl join iad arn:aws:eks:us-east-1:111122223333:cluster/pr" meshctl join iad \
    arn : aws : eks : us-east-1 : 111122223333 : cluster/pr)"
expect "bash: --output=<TAB> completes the value after =" =json \
  "$(bash_complete "meshctl status --output=" meshctl status --output =)"

echo "== fish"
got="$(fish -c 'meshctl completion fish | source; complete -C "meshctl jo"; complete -C "meshctl leave "; complete -C "meshctl join --no-w"' | cut -f1)"
expect "fish: a command" join "$got"
expect "fish: contexts" iad "$got"
expect "fish: a flag" --no-wait "$got"

echo "== zsh"
# zsh's completion widgets only run inside the line editor: load the script
# under compinit, then call the function with the words the editor would set,
# catching what it hands to _describe.
got="$(zsh -f -c 'autoload -Uz compinit && compinit -u -d '"$work"'/zcompdump
  source <(meshctl completion zsh)
  _describe() { shift 3; local -a c; c=("${(@P)1}"); print -rl -- "${c[@]}"; }
  _files() { print -- "<files>"; }
  words=(meshctl st); CURRENT=2; _meshctl
  words=(meshctl rotate --context ""); CURRENT=4; _meshctl
  words=(meshctl -v join --no-wait ""); CURRENT=5; _meshctl
  words=(meshctl --kubeconfig ""); CURRENT=3; _meshctl' |
  sed -E 's/^((\\:|[^:])*):.*/\1/; s/\\:/:/g')"  # what zsh shows: the word before the first unescaped colon
expect "zsh: a command" status "$got"
expect "zsh: contexts" pdx "$got"
expect "zsh: --kubeconfig falls back to file names" "<files>" "$got"
expect "zsh: an ARN context (colons escaped for _describe, shown whole)" \
  "arn:aws:eks:us-east-1:111122223333:cluster/prod" "$got"

echo "== kubectl plugin (kubectl-meshctl)"
ln -s "$MESHCTL" "$work/bin/kubectl-meshctl"
help="$(kubectl-meshctl join --help)"
expect "help's usage says kubectl meshctl" "Usage: kubectl meshctl join [OPTIONS] [clusters...]" "$help"
expect "help's examples say kubectl meshctl" "  kubectl meshctl join iad pdx fra" "$help"
set +e
hint="$(kubectl-meshctl jion 2>&1)"
set -e
expect "a hint says kubectl meshctl" 'meshctl: error: unknown command "jion" (hint: did you mean "kubectl meshctl join"?)' "$hint"
# The shim installed beside meshctl (the .deb's, or the build tree's).
shim="$(dirname "$MESHCTL")/kubectl_complete-meshctl"
[[ -x "$shim" ]] || shim="$(dirname "$MESHCTL")/cmd/meshctl/kubectl_complete-meshctl"
if [[ -f "$shim" ]]; then
  cp "$shim" "$work/bin/kubectl_complete-meshctl"
  chmod +x "$work/bin/kubectl_complete-meshctl"
else
  fail "no kubectl_complete-meshctl beside $MESHCTL"
fi
got="$(kubectl __complete meshctl rot 2>/dev/null | cut -f1)"
expect "kubectl completes the plugin's commands through kubectl_complete-meshctl" rotate "$got"

echo "== man page"
"$MESHCTL" __man >"$work/meshctl.1"
warnings="$(groff -man -ww -z "$work/meshctl.1" 2>&1)"
if [[ -z "$warnings" ]]; then pass "roff has no warnings"; else fail "roff warnings: $warnings"; fi
page="$(MANWIDTH=100 man -l "$work/meshctl.1" 2>/dev/null)"
for section in NAME SYNOPSIS COMMANDS "GLOBAL FLAGS" "EXIT STATUS" ENVIRONMENT; do
  expect "man page has $section" "$section" "$page"
done
expect "man page documents teardown --yes" "       -y,--yes" "$page"

((failures == 0)) || { echo "shell checks: $failures failed"; exit 1; }
echo "shell checks: all passed"
