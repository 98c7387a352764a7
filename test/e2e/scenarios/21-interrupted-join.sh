# meshctl join interrupted by SIGINT and SIGTERM (alternating) at random
# points, 20 times. Each time the run starts from a state with work to do
# (alternately: nothing at all, one cluster's link objects deleted, one
# cluster's federation identity deleted), the signal comes a random time after
# meshctl installed its handlers, between 0 and a typical join's duration
# (measured here first). Each interrupted run must exit 130 and say on stderr
# what it wrote and, by name, what it did not; the next run must converge.
# At the end teardown leaves nothing labelled, and the mesh is joined again.
source "$REPO_ROOT/test/e2e/lib_faults.sh"

TARGET=${E2E_INTERRUPTS:-20}

# The three starting states, in turn.
prepare() {
  local victim="${CLUSTERS[$(($1 % 3))]}"
  case $(($1 % 3)) in
    0) meshctl teardown iad pdx fra ;;
    1) kc "$victim" delete remoteclusterconfigurations.projectcalico.org,secrets,roles,rolebindings -A \
      -l "$MANAGED,meshctl.projectcalico.org/role=link" --wait=false >/dev/null ;;
    2) kc "$victim" delete serviceaccounts,secrets,clusterroles,clusterrolebindings -A \
      -l "$MANAGED,meshctl.projectcalico.org/role=federation" --wait=false >/dev/null ;;
  esac
}

# The phase a run stopped in, read from its report.
phase_of() {
  jq -r '
    [.objects[] | select(.action == "create" or .action == "update" or .action == "adopt")] as $written
    | [.objects[] | select(.action == "skipped")] as $skipped
    | if ($written | length) == 0 then "before-any-write"
      elif any($skipped[]; (.remote // "") == "") or ([.objects[] | select((.remote // "") != "")] | length) == 0
        then "federation"
      elif ($skipped | length) > 0 then "links"
      else "verify" end' <<<"$1"
}

# Typical duration of a join with work to do (from an empty mesh), in ms.
durations=()
for i in 1 2; do
  prepare 0
  t0=$(now_ms)
  meshctl join iad pdx fra -o json "${JOIN_FLAGS[@]}"
  durations+=($(($(now_ms) - t0)))
  expect_rc 0 "timing run $i"
done
typical=$(((durations[0] + durations[1]) / 2))
echo "  (a join with work to do takes ${durations[*]} ms; signals land at 0..${typical} ms)"

declare -A phases=()
landed=0 too_late=0 attempt=0
while ((landed < TARGET && attempt < TARGET * 2)); do
  sig=$([[ $((landed % 2)) == 0 ]] && echo INT || echo TERM)
  prepare "$attempt"
  attempt=$((attempt + 1))
  delay_ms=$((RANDOM % (typical + 1)))
  meshctl_start join iad pdx fra -o json "${JOIN_FLAGS[@]}"
  if ! wait_handlers "$MESH_PID"; then
    meshctl_finish
    fail "attempt $attempt: meshctl never installed its signal handlers (exit $MESH_RC)"
    continue
  fi
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  kill -s "$sig" "$MESH_PID" 2>/dev/null || true
  meshctl_finish
  if [[ "$MESH_RC" == 0 ]] && jq -e '.interrupted == false' <<<"$MESH_OUT" >/dev/null; then
    too_late=$((too_late + 1))  # the join had finished: no interrupt to check
    continue
  fi
  landed=$((landed + 1))
  what="interrupt $landed (SIG$sig after ${delay_ms} ms)"
  expect_rc 130 "$what"
  phase=$(phase_of "$MESH_OUT" 2>/dev/null || echo unreadable)
  phases[$phase]=$((${phases[$phase]:-0} + 1))
  jqc "$what: the report says interrupted, exitCode 130" '.interrupted == true and .exitCode == 130'
  # stderr names every skipped object, or says that nothing was written.
  missing=0
  while IFS=$'\t' read -r cluster kind ns name; do
    [[ -n "$name" ]] || continue
    grep -qF "$cluster: $kind ${ns:+$ns/}$name" <<<"$MESH_ERR" || missing=$((missing + 1))
  done < <(jq -r '.objects[] | select(.action == "skipped") | [.cluster, .kind, .namespace, .name] | @tsv' <<<"$MESH_OUT")
  check "$what ($phase): stderr names each skipped object" test "$missing" == 0
  if [[ "$phase" == before-any-write ]]; then
    check "$what: stderr says nothing was written" grep -q 'interrupted: nothing was written' <<<"$MESH_ERR"
  else
    check "$what: stderr says how many objects were written" grep -qE 'interrupted: [0-9]+ object\(s\) were written' <<<"$MESH_ERR"
  fi
  check "$what: stderr says how to finish" grep -q 'run the same join again' <<<"$MESH_ERR"
  report="$MESH_OUT"
  for c in "${CLUSTERS[@]}"; do
    check "$what: $c has no RCC without its Secret and RBAC (unless reported)" rccs_consistent "$c" "$report"
  done
  mesh_converges "after $what"
done
check "$TARGET interrupts landed (in $attempt attempts; $too_late came after the join had finished)" \
  test "$landed" == "$TARGET"
summary=""
for p in before-any-write federation links verify unreadable; do
  [[ -n "${phases[$p]:-}" ]] && summary+="$p ${phases[$p]}, "
done
echo "  (interrupts by phase: ${summary%, }; $too_late signals came after the end)"
echo "interrupts by phase: ${summary%, }; after the end: $too_late; typical join ${typical} ms" >"$ARTIFACTS/interrupt-phases.txt"

# teardown removes everything meshctl made; then the mesh is joined again.
meshctl teardown iad pdx fra
expect_rc 0 "teardown after the interrupts"
for c in "${CLUSTERS[@]}"; do check "$c: zero meshctl objects after teardown" test "$(count_managed "$c")" == 0; done
mesh_converges "re-join after teardown"
harvest_secrets
