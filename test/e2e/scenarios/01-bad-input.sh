# Refusals before anything is written: every case of the bad-input corpus
# (test/bad-input/, listed in docs/bad-input.md) gives one clear line, its
# documented exit code, and writes nothing anywhere. Runs first, on the fresh
# lab; leaves the lab as it found it (cases undo what they break).
# shellcheck source=../../bad-input/run.sh
source "$REPO_ROOT/test/bad-input/run.sh"
run_corpus
