// Checks made before anything is written: every cluster answers and
// authenticates, serves the RemoteClusterConfiguration API, has the
// namespaces, lets the caller create what join needs (SelfSubjectAccessReview),
// and no two contexts are the same cluster (kube-system namespace UID).
#pragma once

#include <string>
#include <vector>

#include "mesh/options.h"

namespace meshctl::mesh {

struct PreflightFacts {
  std::string server_version;
  std::string kube_system_uid;
  std::string federation_namespace;          // where the federation ServiceAccount lives
  bool legacy_federation_namespace = false;  // found in kube-system from older manifests
};

struct PreflightProblem {
  std::string cluster;  // mesh name
  Errc code;
  std::string message;  // one line: cluster, cause, fix
};

struct PreflightReport {
  std::vector<PreflightFacts> facts;  // index-aligned with the clusters
  std::vector<PreflightProblem> problems;
  bool ok() const { return problems.empty(); }
};

enum class PermissionSet { join, teardown, status };

PreflightReport run_preflight(std::vector<Cluster>& clusters, const JoinOptions& options,
                              PermissionSet needs);

// The permissions meshctl needs for an operation, as "verb group/resource [ns]" lines.
std::vector<std::string> required_permissions(const JoinOptions& options, PermissionSet needs);

}  // namespace meshctl::mesh
