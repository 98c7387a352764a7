#include "mesh/discovery.h"

#include <set>

#include "calico/names.h"
#include "util/log.h"
#include "util/parallel.h"

namespace meshctl::mesh {

Result<std::vector<Cluster>> open_named(const kube::Kubeconfig& config, const std::vector<std::string>& args,
                                        const kube::ClientOptions& options) {
  std::vector<Member> members;
  for (const auto& arg : args) {
    TRY_ASSIGN(auto member, parse_member(arg));
    members.push_back(member);
  }
  TRY(check_members(members));
  return open_clusters(config, members, options);
}

std::vector<Cluster> open_all_contexts(const kube::Kubeconfig& config, const std::vector<Member>& exclude,
                                       const kube::ClientOptions& options) {
  std::set<std::string> taken_contexts, taken_names;
  for (const auto& m : exclude) {
    taken_contexts.insert(m.context);
    taken_names.insert(m.mesh_name);
  }
  std::vector<Cluster> out;
  for (const auto& summary : config.contexts()) {
    if (taken_contexts.count(summary.name))
      continue;
    auto member = parse_member(summary.name);
    if (!member || !taken_names.insert(member->mesh_name).second) {
      log::warn("skipping context \"{}\": no distinct mesh name can be derived from it", summary.name);
      continue;
    }
    auto opened = open_clusters(config, {*member}, options);
    if (!opened) {
      log::warn("skipping context \"{}\": {}", summary.name, opened.error().message);
      continue;
    }
    out.push_back(std::move(opened->front()));
  }
  return out;
}

Result<std::vector<Cluster>> discover_mesh(const kube::Kubeconfig& config,
                                           const kube::ClientOptions& options) {
  enum class Seen { silent, outside, member };
  auto all = open_all_contexts(config, {}, options);
  auto seen = parallel_map<Seen>(all.size(), [&](size_t i) {
    auto rccs = all[i].client->list(kube::resources::remote_cluster_configurations, "");
    if (!rccs)
      return Seen::silent;
    if (!(*rccs)["items"].empty())
      return Seen::member;
    auto managed = all[i].client->list(kube::resources::cluster_roles, "", calico::managed_selector());
    return managed && !(*managed)["items"].empty() ? Seen::member : Seen::outside;
  });
  std::vector<Cluster> out;
  for (size_t i = 0; i < all.size(); ++i) {
    if (seen[i] == Seen::member)
      out.push_back(std::move(all[i]));
    else if (seen[i] == Seen::silent)
      log::warn("context \"{}\" did not answer; it is left out of this status", all[i].member.context);
  }
  if (out.empty()) {
    return Error(Errc::precondition,
                 "no context in the kubeconfig has RemoteClusterConfigurations or meshctl objects",
                 "name the contexts: meshctl status iad pdx");
  }
  return out;
}

}  // namespace meshctl::mesh
