// The desired state: which objects join writes in each cluster.
#pragma once

#include <string>
#include <vector>

#include "calico/dataplane.h"
#include "calico/remote_kubeconfig.h"
#include "mesh/cluster.h"
#include "mesh/objects.h"
#include "mesh/options.h"

namespace meshctl::mesh {

// In cluster R, as a remote: ServiceAccount (unless a legacy one is reused),
// ClusterRole, ClusterRoleBinding and, with TokenMode::secret, the token
// Secret of the given generation (the current one: see current_token_generation).
Result<std::vector<DesiredObject>> federation_objects(const std::string& cluster,
                                                      const std::string& federation_ns,
                                                      bool reuse_legacy_service_account,
                                                      const JoinOptions& options, int token_generation = 0);

// What peers store to reach cluster `c`: its API server as the kubeconfig
// names it (or the --server override), its CA, and `token`. Where the
// kubeconfig skips TLS verification and has no CA, the cluster's root CA from
// its token Secret (`token_ca`) is used instead: meshctl never stores
// insecure-skip-tls-verify. Warns about that and about loopback addresses.
calico::RemoteAccess offered_access(const Cluster& c, Secret token, const std::string& token_ca,
                                    const JoinOptions& options, std::vector<std::string>& warnings);

// R's enabled pod pools, and where L keeps its pools (mesh/fingerprint.h).
struct RemotePools {
  kube::Resource resource;
  std::vector<calico::Pool> pools;
};

// In cluster L, for remote R: the kubeconfig Secret, the Role and RoleBinding
// that let calico-typha read it, with Disabled routing a disabled IPPool per
// pod CIDR of R (`remote_pools`), and the
// RemoteClusterConfiguration (last, so it never points at a Secret that is
// not there yet), routing as given.
Result<std::vector<DesiredObject>> link_objects(const std::string& local, const calico::RemoteAccess& remote,
                                                const std::string& overlay_routing,
                                                const RemotePools& remote_pools, const JoinOptions& options);

// The disabled IPPools of one link, as link_objects makes them.
Result<std::vector<DesiredObject>> remote_pool_objects(const std::string& local, const std::string& remote,
                                                       const RemotePools& remote_pools);

}  // namespace meshctl::mesh
