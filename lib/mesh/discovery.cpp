#include "mesh/discovery.h"

#include <algorithm>
#include <set>

#include "calico/names.h"
#include "kube/fields.h"
#include "util/log.h"
#include "util/parallel.h"

namespace meshctl::mesh {

Result<std::vector<Cluster>> open_named(const kube::Kubeconfig& config, const std::vector<std::string>& args,
                                        const kube::ClientOptions& options) {
  TRY_ASSIGN(auto members, parse_members(args));
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

namespace {

enum class Seen { silent, outside, member };

struct Probe {
  Seen seen = Seen::silent;
  std::vector<std::string> linked;  // names of its RemoteClusterConfigurations
};

Probe probe(Cluster& cluster) {
  Probe out;
  auto rccs = cluster.client->list(kube::resources::remote_cluster_configurations, "");
  if (!rccs)
    return out;
  for (const auto& item : kube::items(*rccs))
    out.linked.push_back(kube::metadata_string(item, "name"));
  if (!out.linked.empty()) {
    out.seen = Seen::member;
    return out;
  }
  auto managed = cluster.client->list(kube::resources::cluster_roles, "", calico::managed_selector());
  out.seen = managed && !kube::items(*managed).empty() ? Seen::member : Seen::outside;
  return out;
}

std::vector<Probe> probe_all(std::vector<Cluster>& clusters) {
  return parallel_map<Probe>(clusters.size(), [&](size_t i) { return probe(clusters[i]); });
}

void add_linked(const std::vector<Probe>& probes, std::set<std::string>& names) {
  for (const auto& p : probes)
    names.insert(p.linked.begin(), p.linked.end());
}

// A context that did not answer may hold the only link to a plugin context.
bool all_answered(const std::vector<Probe>& probes) {
  return std::none_of(probes.begin(), probes.end(), [](const Probe& p) { return p.seen == Seen::silent; });
}

void warn_not_searched(const Cluster& c) {
  log::warn(
      "context \"{0}\" was not searched: its credentials come from a login plugin and no searched "
      "cluster has a RemoteClusterConfiguration named \"{1}\" (name the context to include it, as "
      "NAME={0} if it joined under another mesh name)",
      c.member.context, c.member.mesh_name);
}

// Splits off the clusters whose user runs a login plugin.
std::vector<Cluster> take_plugin_contexts(std::vector<Cluster>& clusters) {
  std::vector<Cluster> plugin;
  std::vector<Cluster> plain;
  for (auto& c : clusters)
    (uses_login_plugin(c) ? plugin : plain).push_back(std::move(c));
  clusters = std::move(plain);
  return plugin;
}

}  // namespace

bool uses_login_plugin(const Cluster& cluster) {
  return cluster.context.user.kind == kube::AuthKind::exec;
}

std::vector<Cluster> peers_worth_searching(std::vector<Cluster>& named, std::vector<Cluster> peers) {
  auto plugin = take_plugin_contexts(peers);
  if (plugin.empty())
    return peers;
  std::set<std::string> linked;
  auto named_probes = probe_all(named);
  auto peer_probes = probe_all(peers);
  add_linked(named_probes, linked);
  add_linked(peer_probes, linked);
  if (linked.empty() || !all_answered(named_probes) || !all_answered(peer_probes)) {
    // nothing to decide from: every context is searched
    for (auto& c : plugin)
      peers.push_back(std::move(c));
    return peers;
  }
  for (auto& c : plugin) {
    if (linked.count(c.member.mesh_name))
      peers.push_back(std::move(c));
    else
      warn_not_searched(c);
  }
  return peers;
}

Result<std::vector<Cluster>> discover_mesh(const kube::Kubeconfig& config,
                                           const kube::ClientOptions& options) {
  auto all = open_all_contexts(config, {}, options);
  auto plugin = take_plugin_contexts(all);
  auto seen = probe_all(all);
  std::set<std::string> linked;
  add_linked(seen, linked);
  // Undecided when no plain context holds a mesh, or one did not answer.
  const bool decided = all_answered(seen) && std::any_of(seen.begin(), seen.end(), [](const Probe& p) {
                         return p.seen == Seen::member;
                       });
  std::vector<Cluster> asked;
  for (auto& c : plugin) {
    if (!decided || linked.count(c.member.mesh_name))
      asked.push_back(std::move(c));
    else
      warn_not_searched(c);
  }
  auto seen_plugin = probe_all(asked);
  for (auto& c : asked)
    all.push_back(std::move(c));
  seen.insert(seen.end(), seen_plugin.begin(), seen_plugin.end());

  std::vector<Cluster> out;
  for (size_t i = 0; i < all.size(); ++i) {
    if (seen[i].seen == Seen::member)
      out.push_back(std::move(all[i]));
    else if (seen[i].seen == Seen::silent)
      log::warn("context \"{}\" did not answer; it is left out of this status", all[i].member.context);
  }
  if (out.empty()) {
    return Error(Errc::precondition,
                 "no context in the kubeconfig has RemoteClusterConfigurations or meshctl objects",
                 "name the contexts: meshctl status iad pdx");
  }
  return out;
}

Result<std::vector<Cluster>> open_or_discover(const kube::Kubeconfig& config,
                                              const std::vector<std::string>& named,
                                              const kube::ClientOptions& options) {
  if (named.empty())
    return discover_mesh(config, options);
  return open_named(config, named, options);
}

Result<TeardownTargets> open_for_teardown(const kube::Kubeconfig& config,
                                          const std::vector<std::string>& named, TeardownScope scope,
                                          const kube::ClientOptions& options) {
  TRY_ASSIGN(auto leaving, parse_members(named));
  TeardownTargets out;
  TRY_ASSIGN(out.clusters, open_clusters(config, leaving, options));
  for (const auto& m : leaving)
    out.leaving.insert(m.mesh_name);
  // Peers are every other context of the kubeconfig: a link to a leaver can
  // live in any of them.
  auto peers = peers_worth_searching(out.clusters, open_all_contexts(config, leaving, options));
  out.discovered.assign(out.clusters.size(), false);
  for (auto& p : peers) {
    if (scope == TeardownScope::whole_mesh && leaving.empty())
      out.leaving.insert(p.member.mesh_name);
    out.clusters.push_back(std::move(p));
    out.discovered.push_back(true);
  }
  return out;
}

Result<RotateTargets> open_for_rotate(const kube::Kubeconfig& config, const std::vector<std::string>& named,
                                      const kube::ClientOptions& options) {
  RotateTargets out;
  TRY_ASSIGN(out.rotated, open_named(config, named, options));
  std::vector<Member> members;
  for (const auto& c : out.rotated)
    members.push_back(c.member);
  out.others = open_all_contexts(config, members, options);
  if (named.empty())
    std::swap(out.rotated, out.others);  // every context is rotated, and searched for links
  return out;
}

}  // namespace meshctl::mesh
