// Writing desired objects with server-side apply, and telling what changed.
// What a cluster already has is read once per resource type (label-selected
// lists), so a run that changes nothing sends no writes at all.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "mesh/objects.h"
#include "mesh/options.h"

namespace meshctl::mesh {

enum class Action { create, update, unchanged, adopt, failed, skipped };
const char* action_name(Action action);

struct ObjectResult {
  std::string cluster;  // mesh name of the cluster written to
  std::string kind, namespace_, name, remote;
  Action action = Action::skipped;
  std::string error;                 // when failed or skipped: why
  Errc error_code = Errc::internal;  // when failed: the kind of failure (e.g. the cluster stopped answering)
};

// meshctl-labelled objects of the kinds join writes, keyed by object_key().
struct LiveState {
  std::map<std::string, Json> objects;
  const Json* find(const DesiredObject& desired) const;
};

// Lists what meshctl manages in one cluster: SA and token Secret in the
// federation namespace, link Secrets, Roles and RoleBindings in the secret
// namespace, ClusterRoles, ClusterRoleBindings and RCCs.
Result<LiveState> observe(kube::Client& client, const std::string& federation_ns,
                          const std::string& secret_ns);

// Applies each object in order (stopping at the first failure or interrupt, so
// that e.g. an RCC is never written after its Secret failed). `live` is
// updated with what the server returned.
std::vector<ObjectResult> apply_objects(kube::Client& client, const std::string& cluster,
                                        const std::vector<DesiredObject>& objects, LiveState& live,
                                        const JoinOptions& options);

}  // namespace meshctl::mesh
