// Finding the clusters of a command in the kubeconfig: the named ones
// (mesh/cluster.h), every other context (peers a link may live in), or the
// contexts that hold a mesh.
#pragma once

#include <set>
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

// Contexts whose user runs a login plugin (an exec credential: aws, gke,
// kubelogin) cost a plugin run each, which may prompt, open a browser or wait
// for MFA, so commands that search the kubeconfig ask them only when needed:
// when a searched cluster has a RemoteClusterConfiguration named after their
// mesh name (a link to them lives there), or when the other contexts cannot
// decide: they hold no mesh at all, or one of them did not answer. The rest
// are left out with a warning that says how to include them (name the
// context; a member joined as NAME=CTX under another name is one of them).
bool uses_login_plugin(const Cluster& cluster);

// teardown and leave: the peers to search beside the named clusters, by the
// rule above (the named clusters' and the plain peers' RCCs decide).
std::vector<Cluster> peers_worth_searching(std::vector<Cluster>& named, std::vector<Cluster> peers);

// Every context that answers and has RemoteClusterConfigurations or a
// meshctl federation identity, asked in parallel (login-plugin contexts by
// the rule above); a context that does not answer is left out with a
// warning. Errc::precondition when none is found.
Result<std::vector<Cluster>> discover_mesh(const kube::Kubeconfig& config,
                                           const kube::ClientOptions& options);

// The named contexts, or (none named) every context that holds a mesh.
Result<std::vector<Cluster>> open_or_discover(const kube::Kubeconfig& config,
                                              const std::vector<std::string>& named,
                                              const kube::ClientOptions& options);

// The clusters leave and teardown work on: the named ones, then the peers
// worth searching for links to them (discovered[i] true). The whole mesh
// with no names makes every searched context a leaver.
enum class TeardownScope { leavers, whole_mesh };
struct TeardownTargets {
  std::vector<Cluster> clusters;
  std::vector<bool> discovered;
  std::set<std::string> leaving;  // mesh names
};
Result<TeardownTargets> open_for_teardown(const kube::Kubeconfig& config,
                                          const std::vector<std::string>& named, TeardownScope scope,
                                          const kube::ClientOptions& options);

// rotate: the clusters whose credential is rotated (the named ones, or every
// context when none is named) and the other contexts, searched for links.
struct RotateTargets {
  std::vector<Cluster> rotated, others;
};
Result<RotateTargets> open_for_rotate(const kube::Kubeconfig& config, const std::vector<std::string>& named,
                                      const kube::ClientOptions& options);

}  // namespace meshctl::mesh
