# Typha restarting while status runs. pdx's Typha stand-ins are stopped and
# started again while `meshctl status -o json` is sampled every ~0.5 s. No
# sample may show a pdx-side link (pdx <- iad, pdx <- fra) in sync unless it
# finished after every pdx replica's *new* process had logged its in-sync line
# for that link (read back with kubectl logs; the new process is the one after
# the last "Typha starting up" line). While stopped, the links must read
# unknown. Leaves the mesh in sync.
source "$REPO_ROOT/test/e2e/lib_faults.sh"

samples="$ARTIFACTS/typha-restart-samples.tsv"
: >"$samples"
# sample LABEL: one status of pdx's links; appends "start end label remote state".
sample() {
  local t0 t1
  t0=$(now_ms)
  meshctl status pdx -o json --no-credential-check
  t1=$(now_ms)
  jq -r --arg t0 "$t0" --arg t1 "$t1" --arg l "$1" \
    '.links[] | select(.local == "pdx") | [$t0, $t1, $l, .remote, .state] | @tsv' <<<"$MESH_OUT" >>"$samples"
}

meshctl status pdx -o json --no-credential-check
jqc "before: pdx's links are in sync" '[.links[] | select(.local == "pdx" and .state == "in-sync")] | length == 2'

"$LAB" stop-typha --cluster pdx --dir "$LAB_DIR" >/dev/null
for _ in 1 2 3; do sample stopped; sleep 0.3; done
"$LAB" start-typha --cluster pdx --dir "$LAB_DIR" >/dev/null
deadline=$((SECONDS + 15))
while ((SECONDS < deadline)); do
  sample restarted
  sleep 0.5
done

check "while stopped, no sample says in sync (they say unknown)" bash -c \
  "awk -F'\t' '\$3 == \"stopped\"' '$samples' | awk -F'\t' '{print \$5}' | sort -u | grep -qx unknown"
check "while stopped: $(awk -F'\t' '$3 == "stopped"' "$samples" | wc -l) samples, none in sync" bash -c \
  "! awk -F'\t' '\$3 == \"stopped\" && \$5 == \"in-sync\"' '$samples' | grep -q ."

# When did each replica's new process first log in sync for REMOTE? (ms, max
# over replicas: the link is in sync only when every replica says so.)
first_new_in_sync() {
  local remote="$1" latest=0 pod pid line ts ms
  for pod in $(kc pdx get pods -n calico-system -l k8s-app=calico-typha -o name); do
    log=$(kc pdx logs -n calico-system "$pod" --tail=-1)
    pid=$(grep 'Typha starting up' <<<"$log" | tail -1 | sed -E 's/.*\[INFO\]\[([0-9]+)\].*/\1/')
    line=$(grep -F "[$pid] " <<<"$log" | grep -m1 -F "Sending in-sync update for RemoteClusterConfiguration($remote)" || true)
    [[ -n "$line" ]] || { echo 0; return; }  # not yet
    ts=$(cut -c1-23 <<<"$line")
    ms=$(date -u -d "$ts" +%s%3N)
    ((ms > latest)) && latest=$ms
  done
  echo "$latest"
}
for remote in iad fra; do
  synced=$(first_new_in_sync "$remote")
  check "pdx <- $remote: the new Typha processes logged in-sync (kubectl logs)" test "$synced" -gt 0
  early=$(awk -F'\t' -v r="$remote" -v s="$synced" '$3 == "restarted" && $4 == r && $5 == "in-sync" && $2 < s' "$samples" | wc -l)
  shown=$(awk -F'\t' -v r="$remote" '$3 == "restarted" && $4 == r {print $5}' "$samples" | sort | uniq -c | tr -s ' \n' ' ')
  check "pdx <- $remote: no sample says in sync before the new processes did (states seen: $shown)" test "$early" == 0
done
restarted=$(awk -F'\t' '$3 == "restarted"' "$samples" | wc -l)
check "the restart window was sampled ($restarted rows)" test "$restarted" -ge 10

meshctl status iad pdx fra --wait --timeout 60s
expect_rc 0 "the mesh is healthy again after the restart"
