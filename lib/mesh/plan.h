// The desired state: which objects join writes in each cluster.
#pragma once

#include <string>
#include <vector>

#include "calico/remote_kubeconfig.h"
#include "mesh/objects.h"
#include "mesh/options.h"

namespace meshctl::mesh {

// In cluster R, as a remote: ServiceAccount (unless a legacy one is reused),
// ClusterRole, ClusterRoleBinding and, with TokenMode::secret, the token Secret.
Result<std::vector<DesiredObject>> federation_objects(const std::string& cluster,
                                                      const std::string& federation_ns,
                                                      bool reuse_legacy_service_account,
                                                      const JoinOptions& options);

// In cluster L, for remote R: the kubeconfig Secret, the Role and RoleBinding
// that let calico-typha read it, and the RemoteClusterConfiguration (last, so
// it never points at a Secret that is not there yet), routing as given.
Result<std::vector<DesiredObject>> link_objects(const std::string& local, const calico::RemoteAccess& remote,
                                                const std::string& overlay_routing,
                                                const JoinOptions& options);

}  // namespace meshctl::mesh
