# Federated services, the seeds' Redis HA story (issue 15): testdb in
# namespace redis in iad and pdx, backed by ready pods the lab makes; meshctl
# federate labels both and creates testdb-federated, whose Endpoints
# Calico's federated-services controller (the lab's stand-in of Enterprise's)
# fills from both clusters; unfederate removes only what federate made.
# Starts from the joined mesh scenario 29 leaves.
redis_setup() {
  for c in iad pdx; do
    kc "$c" create namespace redis >/dev/null
    kc "$c" apply -n redis -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: testdb}
spec:
  selector: {app: testdb}
  ports: [{name: redis, port: 6379, targetPort: redis}]
YAML
    "$LAB" pods --dir "$LAB_DIR" --cluster "$c" --namespace redis --labels app=testdb --count 2 --prefix testdb --ports redis=6379 >/dev/null
  done
}
# federated_addresses CLUSTER: the targetRef names of testdb-federated's ready addresses, sorted
# (v1 Endpoints, which the controller writes; kubectl's deprecation warning is dropped)
federated_addresses() {
  kc "$1" get endpoints -n redis testdb-federated -o jsonpath='{range .subsets[*].addresses[*]}{.targetRef.name}{"\n"}{end}' 2>/dev/null | sort
}
mirrored_count() {
  kc "$1" get endpointslices -n redis -l kubernetes.io/service-name=testdb-federated \
    -o jsonpath='{range .items[*].endpoints[*]}{.addresses[0]}{"\n"}{end}' | grep -c . || true
}
federated_label() { kc "$1" get service -n redis testdb -o jsonpath='{.metadata.labels.meshctl\.projectcalico\.org/federated-as}'; }
# No kubelet confirms the lab's pods are gone, so they are deleted at once (as for a lost node).
trap 'for c in iad pdx; do
  kc "$c" delete pods -n redis --all --grace-period=0 --force >/dev/null 2>&1 || true
  kc "$c" delete namespace redis --ignore-not-found --timeout 60s >/dev/null
done' EXIT
redis_setup
wait_for 30 "the backing Services' EndpointSlices list the lab's ready pods" bash -c \
  "[[ \$(kubectl --context pdx get endpointslices -n redis -l kubernetes.io/service-name=testdb -o jsonpath='{.items[*].endpoints[*].addresses[0]}' | wc -w) == 2 ]]"

echo "-- refusals, before any write"
snapshot() { for c in iad pdx; do kc "$c" get services -n redis -o jsonpath='{range .items[*]}{.metadata.name} {.metadata.resourceVersion}{"\n"}{end}'; done; }
before="$(snapshot)"
meshctl federate nosuch -n redis iad pdx
expect_rc 5 "a Service that exists nowhere"
check "one line naming it" test "$(grep -c . <<<"$MESH_ERR")" == 1 -a -n "$(grep -F 'Service redis/nosuch exists in none of the clusters' <<<"$MESH_ERR")"
meshctl federate testdb -n redis iad pdx fra
expect_rc 5 "fra has no namespace redis for the federated Service"
check "the line names fra, the namespace and the fix" grep -q 'fra: namespace redis does not exist.*create namespace redis' <<<"$MESH_ERR"
kc iad apply -n redis -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: unnamed}
spec: {selector: {app: unnamed}, ports: [{port: 6380}]}
YAML
meshctl federate unnamed -n redis iad pdx
expect_rc 5 "an unnamed port"
check "the line says ports are matched by name" grep -q 'iad: Service redis/unnamed has an unnamed port 6380: the federated-services controller matches ports by name' <<<"$MESH_ERR"
kc iad delete service -n redis unnamed >/dev/null
before="$(snapshot)"
meshctl federate testdb -n redis iad pdx --dry-run
expect_rc 0 "a dry run"
check "nothing written by the refusals or the dry run" test "$before" == "$(snapshot)"

echo "-- federate"
kc pdx label service -n redis testdb meshctl.projectcalico.org/federated-as=testdb-federated >/dev/null  # set by hand beforehand
meshctl federate testdb -n redis iad pdx -o json
expect_rc 0 "federate testdb -n redis iad pdx"
jqc "both federated Services list both clusters' two endpoints" \
  '[.federated[] | select(.complete and .endpointsBySource == {"iad":2,"pdx":2} and .mirroredEndpoints == 4)] | length == 2'
jqc "iad's label was added, pdx's was already there" '[.backing[] | .label] == ["create","unchanged"]'
check "iad's Endpoints (kubectl): two local pods and pdx's two as pdx/<pod>" \
  test "$(federated_addresses iad | tr '\n' ' ')" == "pdx/testdb-1 pdx/testdb-2 testdb-1 testdb-2 "
check "the EndpointSlices Kubernetes mirrored hold the four" test "$(mirrored_count iad)" == 4
check "the federated Service has no selector and the annotation" test \
  "$(kc iad get service -n redis testdb-federated -o jsonpath='{.spec.selector}|{.metadata.annotations.federation\.tigera\.io/serviceSelector}|{.spec.ports[0].name}')" \
  == '|meshctl.projectcalico.org/federated-as == "testdb-federated"|redis'
meshctl federate testdb -n redis iad pdx -o json
expect_rc 0 "a re-run"
jqc "it changes nothing" '[.federated[].action] == ["unchanged","unchanged"] and [.backing[].label] == ["unchanged","unchanged"]'

echo "-- iad's Redis goes down: iad still reaches pdx's"
"$LAB" pods --dir "$LAB_DIR" --cluster iad --namespace redis --labels app=testdb --count 2 --prefix testdb --ports redis=6379 --ready=false >/dev/null
wait_for 30 "iad's federated Service lists only pdx's endpoints" bash -c \
  "[[ \"\$(kubectl --context iad get endpoints -n redis testdb-federated -o jsonpath='{range .subsets[*].addresses[*]}{.targetRef.name} {end}')\" == 'pdx/testdb-1 pdx/testdb-2 ' ]]"
meshctl status iad pdx --services -o json
expect_rc 0 "status --services: healthy (iad has no ready backends to list)"
jqc "it shows pdx's two in both clusters" '[.federatedServices[] | .endpointsBySource.pdx] == [2,2] and ([.federatedServices[].missing[]] | length == 0)'

echo "-- status flags a federated Service that misses a cluster"
"$LAB" pods --dir "$LAB_DIR" --cluster iad --namespace redis --labels app=testdb --count 2 --prefix testdb --ports redis=6379 --ready=true >/dev/null
kc pdx annotate service -n redis testdb-federated --overwrite 'federation.tigera.io/serviceSelector=app == "nothing"' >/dev/null
wait_for 30 "pdx's controller drops the endpoints" bash -c \
  "[[ -z \"\$(kubectl --context pdx get endpoints -n redis testdb-federated -o jsonpath='{.subsets[*].addresses[*].ip}' 2>/dev/null)\" ]]"
meshctl status iad pdx --services
expect_rc 3 "status --services: pdx lists neither cluster"
check "the summary names it" grep -q 'redis/testdb-federated in pdx lists no endpoints of iad, pdx' <<<"$MESH_ERR"

echo "-- the example, then unfederate"
set +e
MESHCTL="$MESHCTL" MESH_CONTEXTS="iad pdx" "$REPO_ROOT/examples/redis-ha.sh" >"$ARTIFACTS/example-redis-ha.out" 2>"$ARTIFACTS/example-redis-ha.err"
rc=$?
set -e
check "examples/redis-ha.sh refuses to overwrite the hand-made annotation (exit $rc, a conflict)" test "$rc" == 1
meshctl unfederate testdb -n redis iad pdx -o json
expect_rc 0 "unfederate"
jqc "both federated Services deleted, iad's label removed, pdx's hand-set label kept" \
  '[.objects[] | .action] | sort == ["deleted","deleted","kept-unmanaged","unlabelled"]'
check "iad: no federated Service" bash -c "! kubectl --context iad get service -n redis testdb-federated"
check "iad: label gone" test -z "$(federated_label iad)"
check "pdx: the label set by hand stays" test "$(federated_label pdx)" == testdb-federated
kc pdx label service -n redis testdb meshctl.projectcalico.org/federated-as- >/dev/null
wait_for 30 "the controller removed iad's federated Endpoints" bash -c "! kubectl --context iad get endpoints -n redis testdb-federated"
set +e
MESHCTL="$MESHCTL" MESH_CONTEXTS="iad pdx" "$REPO_ROOT/examples/redis-ha.sh" --cleanup >"$ARTIFACTS/example-redis-ha.out" 2>"$ARTIFACTS/example-redis-ha.err"
rc=$?
set -e
check "examples/redis-ha.sh --cleanup on a healthy mesh (exit $rc)" test "$rc" == 0
check "it federated, listed and removed again" bash -c \
  "grep -q 'testdb-federated.redis.svc' '$ARTIFACTS/example-redis-ha.out' && ! kubectl --context iad get service -n redis testdb-federated"

echo "-- members that are not meshed"
meshctl leave pdx
expect_rc 0 "pdx leaves the mesh"
meshctl federate testdb -n redis iad pdx
expect_rc 5 "federate refuses clusters that are not meshed with each other"
check "one line each way, naming the missing RCC and the fix" test \
  "$(grep -c 'is not meshed with .* (no RemoteClusterConfiguration .*meshctl join' <<<"$MESH_ERR")" == 2
check "nothing written" bash -c "! kubectl --context iad get service -n redis testdb-federated"
