// Writing desired objects with server-side apply, and telling what changed.
// Objects whose content decides what happens next (ServiceAccount, Secrets,
// RCCs) are compared with what preflight read and skipped when equal. The RBAC
// objects are applied every time: a server-side apply that changes nothing
// writes nothing to etcd, and four fewer lists per cluster keep a fresh join
// near the minimum number of requests.
#pragma once

#include <string>
#include <vector>

#include "mesh/objects.h"
#include "mesh/options.h"

namespace meshctl::mesh {

enum class Action { create, update, unchanged, adopt, remove, failed, skipped };
const char* action_name(Action action);

struct ObjectResult {
  std::string cluster;  // mesh name of the cluster written to
  std::string kind, namespace_, name, remote;
  Action action = Action::skipped;
  std::string error;                 // when failed or skipped: why
  Errc error_code = Errc::internal;  // when failed: the kind of failure (e.g. the cluster stopped answering)
  int error_http_status = 0;         // when failed with an HTTP answer: its status (503: shutting down)
};

// Applies the objects round by round (a round is an object and those after it
// marked WriteOrder::with_previous, sent concurrently), stopping after the
// first round with a failure or an interrupt, so that e.g. an RCC is never
// written after its Secret failed. Results keep the objects' order. Observed kinds
// are compared with `live`; when `record` is given, the server's answers for
// them are stored there.
std::vector<ObjectResult> apply_objects(kube::ClusterApi& client, const std::string& cluster,
                                        const std::vector<DesiredObject>& objects, const LiveState& live,
                                        const kube::ApplyOptions& how, LiveState* record = nullptr);
// apply_objects for several independent lists (the links of one cluster) in
// step: the n-th round of every list goes out in one apply_all, and a list
// stops on its own failure only. Results per list, in the lists' order.
std::vector<std::vector<ObjectResult>> apply_chains(
    kube::ClusterApi& client, const std::string& cluster,
    const std::vector<const std::vector<DesiredObject>*>& chains, const LiveState& live,
    const kube::ApplyOptions& how, LiveState* record = nullptr);
// How join's options write: meshctl's field manager, a server-side dry run
// or not, and whether fields another field manager owns are taken over.
kube::ApplyOptions write_options(const JoinOptions& options);

// Deletes meshctl's disabled IPPools in a cluster that were made for
// `remote` and are not among `keep` (by name): R's pod CIDRs changed, or the
// routing became Enabled. `live` is what preflight listed (labelled pools).
// Pools join took over (they existed before it) are never deleted.
std::vector<ObjectResult> remove_stale_remote_pools(kube::ClusterApi& client, const std::string& cluster,
                                                    const std::string& remote, const kube::Resource& pools,
                                                    const std::vector<DesiredObject>& keep,
                                                    const LiveState& live, kube::DryRun dry_run);

// Gives an object join took over back as it was found: meshctl's labels and
// the takeover record removed, the object itself kept (leave, teardown, and
// rotate's retiring of a token Secret made before meshctl).
Result<Json> release_adopted(kube::ClusterApi& client, const kube::Resource& resource, const std::string& ns,
                             const std::string& name, kube::DryRun dry_run);

}  // namespace meshctl::mesh
