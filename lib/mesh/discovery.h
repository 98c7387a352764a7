// Finding the clusters of a command in the kubeconfig: the named ones
// (mesh/cluster.h), every other context (peers a link may live in), or the
// contexts that hold a mesh.
#pragma once

#include <string>
#include <vector>

#include "kube/kubeconfig.h"
#include "mesh/cluster.h"

namespace meshctl::mesh {

// Named members: parsed ("CTX" or "NAME=CTX"), checked for collisions, opened.
Result<std::vector<Cluster>> open_named(const kube::Kubeconfig& config, const std::vector<std::string>& args,
                                        const kube::ClientOptions& options);

// Every context of the kubeconfig not in `exclude`, skipping (with a warning)
// those that do not resolve or whose derived mesh name collides.
std::vector<Cluster> open_all_contexts(const kube::Kubeconfig& config, const std::vector<Member>& exclude,
                                       const kube::ClientOptions& options);

// Every context that answers and has RemoteClusterConfigurations or a
// meshctl federation identity, asked in parallel; a context that does not
// answer is left out with a warning. Errc::precondition when none is found.
Result<std::vector<Cluster>> discover_mesh(const kube::Kubeconfig& config,
                                           const kube::ClientOptions& options);

}  // namespace meshctl::mesh
