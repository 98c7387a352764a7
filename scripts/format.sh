#!/usr/bin/env bash
# The project's C++ formatting (.clang-format, clang-format 14 from Debian).
#
#   scripts/format.sh          rewrite every file in place
#   scripts/format.sh --check  change nothing; list what is not formatted, exit 1 if any
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.cpp' '*.h')
if [[ "${1:-}" == --check ]]; then
  clang-format --dry-run -Werror "${files[@]}"
else
  clang-format -i "${files[@]}"
fi
