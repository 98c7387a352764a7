#include "mesh/status.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <set>

#include "calico/names.h"
#include "calico/remote_kubeconfig.h"
#include "kube/fields.h"
#include "mesh/fingerprint.h"
#include "mesh/objects.h"
#include "mesh/typha.h"
#include "util/base64.h"
#include "util/parallel.h"
#include "util/poll.h"

namespace meshctl::mesh {
namespace {

namespace r = kube::resources;
using kube::Json;

// Everything read from one cluster, in both of its roles.
struct ClusterFacts {
  bool reachable = false;
  Error error;  // when not reachable
  std::vector<Json> rccs;
  std::map<std::string, Json> secrets;               // "ns/name" -> Secret (referenced by RCCs)
  std::map<std::string, Json> roles, role_bindings;  // name -> object, meshctl-managed, secret namespace
  std::optional<Json> federation_token;              // this cluster's own federation token Secret
  TyphaView typha;
  calico::Flavour flavour;
  std::optional<std::map<std::string, Json>>
      own_pools;  // meshctl's disabled IPPools by name; nullopt: unread
};

bool is_managed(const Json& object) {
  return kube::label_of(object, calico::kManagedByLabel) == calico::kManagedByValue;
}

// "namespace/name" of the Secret an RCC names; "" when it names none.
std::string access_secret_key(const Json& rcc, const StatusOptions& o) {
  const auto& ref = kube::object_at(kube::object_at(rcc, "spec"), "clusterAccessSecret");
  auto name = ref.value("name", "");
  return name.empty() ? "" : ref.value("namespace", o.secret_namespace) + "/" + name;
}

// meshctl's labelled Secrets in every namespace status looks in (the link
// Secrets' and the federation token's), and the federation token under its
// documented name, which a hand-made one also has.
struct SecretReads {
  std::map<std::string, Result<Json>> labelled;    // namespace -> meshctl's Secrets there
  std::map<std::string, Result<Json>> documented;  // federation namespace -> the token Secret of that name
};

// What status reads of a cluster's links in one round (read_all): the RCCs,
// meshctl's Roles and RoleBindings, and the Secrets above.
struct LinkReads {
  Result<Json> rccs = Error(Errc::internal, "not read");
  std::map<std::string, Json> roles, role_bindings;  // by name; empty when unread
  SecretReads secrets;
};

std::map<std::string, Json> by_name(const Result<Json>& list) {
  std::map<std::string, Json> out;
  if (list) {
    for (const auto& item : kube::items(*list))
      out[kube::metadata_string(item, "name")] = item;
  }
  return out;
}

LinkReads read_links(kube::ClusterApi& client, const StatusOptions& o) {
  const std::string managed = calico::managed_selector();
  std::set<std::string> labelled_in(o.federation_namespaces.begin(), o.federation_namespaces.end());
  labelled_in.insert(o.secret_namespace);
  std::vector<kube::ReadItem> reads{{&r::remote_cluster_configurations, "", "", ""},
                                    {&r::roles, o.secret_namespace, "", managed},
                                    {&r::role_bindings, o.secret_namespace, "", managed}};
  for (const auto& ns : labelled_in)
    reads.push_back({&r::secrets, ns, "", managed});
  for (const auto& ns : o.federation_namespaces)
    reads.push_back({&r::secrets, ns, std::string(calico::kFederationName), ""});
  auto answers = client.read_all(reads);
  LinkReads out;
  out.rccs = std::move(answers[0]);
  out.roles = by_name(answers[1]);
  out.role_bindings = by_name(answers[2]);
  for (std::size_t i = 3; i < reads.size(); ++i) {
    auto& into = reads[i].name.empty() ? out.secrets.labelled : out.secrets.documented;
    into.emplace(reads[i].ns, std::move(answers[i]));
  }
  return out;
}

// The Secrets the RCCs name: from meshctl's labelled list where they are in
// it, else read by name (a hand-made link may name any Secret, anywhere).
std::map<std::string, Json> referenced_secrets(kube::ClusterApi& client, const std::vector<Json>& rccs,
                                               const StatusOptions& o, const SecretReads& known) {
  std::map<std::string, Json> listed;
  for (const auto& [ns, list] : known.labelled) {
    if (!list)
      continue;
    for (const auto& item : kube::items(*list))
      listed[ns + "/" + kube::metadata_string(item, "name")] = item;
  }
  std::map<std::string, Json> out;
  std::vector<std::string> unlisted;
  std::vector<kube::ReadItem> reads;
  for (const auto& rcc : rccs) {
    auto key = access_secret_key(rcc, o);
    if (key.empty() || out.count(key) > 0 ||
        std::find(unlisted.begin(), unlisted.end(), key) != unlisted.end())
      continue;
    if (auto it = listed.find(key); it != listed.end()) {
      out[key] = it->second;
      continue;
    }
    const auto slash = key.find('/');
    reads.push_back({&r::secrets, key.substr(0, slash), key.substr(slash + 1), ""});
    unlisted.push_back(std::move(key));
  }
  auto read = reads.empty() ? std::vector<Result<Json>>{} : client.read_all(reads);
  for (std::size_t i = 0; i < unlisted.size(); ++i) {
    if (read[i])
      out[unlisted[i]] = std::move(*read[i]);
  }
  return out;
}

// The current federation token: meshctl's highest generation (after
// rotations), else the one under the documented name (also hand-made); the
// first namespace that has one.
std::optional<Json> federation_token(const SecretReads& known, const StatusOptions& o) {
  for (const auto& ns : o.federation_namespaces) {
    if (const auto& labelled = known.labelled.at(ns)) {
      const Json* newest = nullptr;
      for (const auto& item : kube::items(*labelled)) {
        if (is_federation_token_secret(item) &&
            (newest == nullptr || token_generation(item) > token_generation(*newest)))
          newest = &item;
      }
      if (newest != nullptr)
        return *newest;
    }
    if (const auto& named = known.documented.at(ns))
      return *named;
  }
  return std::nullopt;
}

// Everything status reads in one cluster, sent together: the RCCs with
// meshctl's Secrets, Roles and RoleBindings (one read_all; after it the
// Secrets the RCCs name that those lack, and what Typha says about them),
// and the Calico fingerprint with meshctl's pools. On a distant cluster that
// costs the round trips of the longest chain, not one per read.
ClusterFacts read_cluster(Cluster& c, const StatusOptions& o) {
  ClusterFacts f;
  kube::ClusterApi& client = *c.client;
  LinkReads links;
  OwnPools own_pools;
  parallel_map<bool>(2, [&](std::size_t task) {
    if (task == 1) {
      f.flavour = read_flavour(client, FlavourReads::calico_kind, &own_pools);
      return true;
    }
    links = read_links(client, o);
    f.federation_token = federation_token(links.secrets, o);
    if (!links.rccs)
      return true;
    const auto& items = kube::items(*links.rccs);
    TyphaReadOptions typha_options;
    for (const auto& rcc : items) {
      if (auto key = access_secret_key(rcc, o); !key.empty())
        typha_options.secrets[key].push_back(kube::metadata_string(rcc, "name"));
    }
    parallel_map<bool>(2, [&](std::size_t i) {
      if (i == 0)
        f.secrets = referenced_secrets(client, items, o, links.secrets);
      else
        f.typha = read_typha(client, typha_options);
      return true;
    });
    return true;
  });
  if (!links.rccs) {
    ClusterFacts unreachable;
    unreachable.error = rcc_list_error(c.member.context, links.rccs.error());
    return unreachable;
  }
  f.roles = std::move(links.roles);
  f.role_bindings = std::move(links.role_bindings);
  f.reachable = true;
  for (const auto& item : kube::items(*links.rccs))
    f.rccs.push_back(item);
  if (own_pools.unlisted.empty()) {
    f.own_pools.emplace();
    for (auto& item : own_pools.items) {
      const std::string name =
          kube::metadata_string(item, "name");  // before the move: `=` runs its right side first
      (*f.own_pools)[name] = std::move(item);
    }
  }
  return f;
}

void check_objects(LinkStatus& link, const Json& rcc, const ClusterFacts& local, const StatusOptions& o) {
  const auto& ref = kube::object_at(kube::object_at(rcc, "spec"), "clusterAccessSecret");
  std::string ns = ref.value("namespace", o.secret_namespace);
  std::string name = ref.value("name", "");
  ObjectCheck rcc_check{"RemoteClusterConfiguration", "", link.remote, true, ""};
  if (name.empty() || ref.value("kind", "Secret") != "Secret") {
    rcc_check.problem = "spec.clusterAccessSecret does not name a Secret";
  } else if (kube::string_at(kube::object_at(kube::object_at(rcc, "spec"), "syncOptions"),
                             "overlayRoutingMode")
                 .empty() &&
             link.managed) {
    rcc_check.problem = "spec.syncOptions.overlayRoutingMode is not set";
  }
  link.objects.push_back(rcc_check);

  ObjectCheck secret_check{"Secret", ns, name, false, ""};
  auto it = local.secrets.find(ns + "/" + name);
  if (it == local.secrets.end()) {
    secret_check.problem = "missing (or not readable by meshctl)";
  } else {
    secret_check.present = true;
    if (secret_data(it->second, "datastoreType") != "kubernetes") {
      secret_check.problem = "data.datastoreType is not \"kubernetes\"";
    } else if (auto stored = calico::read_remote_kubeconfig(secret_data(it->second, "kubeconfig")); !stored) {
      secret_check.problem = "data.kubeconfig: " + stored.error().message;
    } else if (!stored->has_current_context || stored->server.empty() || stored->token.empty()) {
      secret_check.problem = "data.kubeconfig lacks a current-context, server or token";
    } else if (stored->has_exec_or_auth_provider) {
      secret_check.problem = "data.kubeconfig uses an exec or auth-provider user, which Typha cannot run";
    }
  }
  link.objects.push_back(secret_check);

  if (!link.managed)
    return;  // a hand-made link's RBAC may be named anything
  std::string role_name = std::string(calico::kSecretAccessRoleName) + "-" + link.remote;
  ObjectCheck role_check{"Role", o.secret_namespace, role_name, local.roles.count(role_name) > 0, ""};
  if (!role_check.present)
    role_check.problem = "missing: calico-typha cannot read the Secret";
  ObjectCheck binding_check{"RoleBinding", o.secret_namespace, role_name,
                            local.role_bindings.count(role_name) > 0, ""};
  if (!binding_check.present)
    binding_check.problem = "missing: calico-typha cannot read the Secret";
  link.objects.push_back(role_check);
  link.objects.push_back(binding_check);
}

// With Disabled routing L needs a disabled IPPool for each pod CIDR of R
// (join writes them); with Enabled, meshctl's pools for R must be gone.
void check_remote_pools(LinkStatus& link, const ClusterFacts& local, const ClusterFacts* remote) {
  if (!link.managed || !local.own_pools)
    return;
  std::set<std::string> expected;
  const auto& remote_pools = remote != nullptr ? remote->flavour.data_plane.enabled_pools : std::nullopt;
  if (link.overlay_routing == "Disabled" && remote_pools) {
    for (const auto& pool : *remote_pools) {
      const std::string name = calico::remote_pool_name(link.remote, pool.cidr);
      expected.insert(name);
      ObjectCheck check{"IPPool", "", name, false, ""};
      auto it = local.own_pools->find(name);
      if (it == local.own_pools->end()) {
        check.problem = fmt::format("missing: with Disabled routing {} needs it for {}'s pod CIDR {}",
                                    link.local, link.remote, pool.cidr);
      } else {
        check.present = true;
        const auto& spec = kube::object_at(it->second, "spec");
        const auto disabled = spec.find("disabled");
        if (kube::string_at(spec, "cidr") != pool.cidr || disabled == spec.end() ||
            disabled->is_boolean() == false || !disabled->get<bool>())
          check.problem = fmt::format(
              "is not a disabled pool for {}: changed by another hand (meshctl join "
              "--force-conflicts restores it)",
              pool.cidr);
      }
      link.objects.push_back(check);
    }
  } else if (link.overlay_routing == "Disabled") {
    return;  // R's pod CIDRs unknown (unreachable, or unread): which pools are stale cannot be told
  }
  for (const auto& [name, pool] : *local.own_pools) {
    if (kube::label_of(pool, calico::kRemoteClusterLabel) != link.remote || expected.count(name) > 0 ||
        kube::label_of(pool, calico::kRoleLabel) != calico::kRemotePoolRole)
      continue;
    const bool stale_cidr = link.overlay_routing == "Disabled";
    link.objects.push_back(
        {"IPPool", "", name, true,
         stale_cidr ? "left from a pod CIDR " + link.remote + " no longer has (run meshctl join to remove it)"
                    : "left from Disabled routing, now " + link.overlay_routing +
                          " (run meshctl join to remove it)"});
  }
}

std::vector<std::string> data_plane_lines(const LinkStatus& link, const ClusterFacts& local,
                                          const ClusterFacts* remote) {
  std::vector<std::string> out;
  if (remote == nullptr)
    return out;
  for (const auto& p : calico::data_plane_problems(
           {{link.local, &local.flavour.data_plane}, {link.remote, &remote->flavour.data_plane}}, {}))
    out.push_back(p.message);
  return out;
}

// Every federated Service meshctl made in a reachable cluster, judged against
// the ready backends of every reachable cluster (asked once per backing Service).
std::vector<FederatedServiceStatus> federated_services(std::vector<Cluster>& clusters,
                                                       const std::vector<ClusterFacts>& facts) {
  const std::string selector = calico::managed_selector() + "," + std::string(calico::kRoleLabel) + "=" +
                               std::string(calico::kFederatedServiceRole);
  auto found = parallel_map<std::vector<Json>>(clusters.size(), [&](size_t i) {
    std::vector<Json> out;
    if (!facts[i].reachable)
      return out;
    if (auto list = clusters[i].client->list(r::services, "", selector))
      out = kube::items(*list);
    return out;
  });
  std::map<std::pair<std::string, std::string>, std::map<std::string, int>>
      ready;  // (ns, backing) -> by cluster
  std::vector<FederatedServiceStatus> out;
  for (size_t l = 0; l < clusters.size(); ++l) {
    for (const auto& svc : found[l]) {
      FederatedServiceStatus s;
      s.namespace_ = kube::metadata_string(svc, "namespace");
      s.name = kube::metadata_string(svc, "name");
      s.backing = kube::label_of(svc, calico::kFederatesLabel);
      auto [it, fresh] = ready.try_emplace({s.namespace_, s.backing});
      if (fresh) {
        auto counts = parallel_map<int>(clusters.size(), [&](size_t c) {
          return facts[c].reachable ? ready_endpoints(*clusters[c].client, s.namespace_, s.backing) : 0;
        });
        for (size_t c = 0; c < clusters.size(); ++c)
          it->second[clusters[c].member.mesh_name] = counts[c];
      }
      s.ready_by_cluster = it->second;
      s.seen = read_federated(*clusters[l].client, clusters[l].member.mesh_name, s.namespace_, s.name,
                              s.ready_by_cluster);
      out.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace

bool LinkStatus::misconfigured() const {
  if (!configured || !data_plane.empty())
    return true;
  return std::any_of(objects.begin(), objects.end(), [](const ObjectCheck& c) { return !c.problem.empty(); });
}

bool LinkStatus::healthy() const {
  return configured && state == calico::LinkState::in_sync && !misconfigured() &&
         (credential.result == "ok" || credential.result == "not-checked");
}

Outcome StatusReport::outcome() const {
  Outcome out = Outcome::ok;
  for (const auto& c : clusters) {
    if (!c.reachable && !c.discovered)  // 4 for a lost connection or refused credentials
      out = worst(out, outcome_of(c.error.code));
  }
  for (const auto& l : links) {
    const std::string& credential = l.credential.result;
    if (credential == "unauthorized" || credential == "unreachable")
      out = worst(out, Outcome::unreachable);
    else if (l.misconfigured() || credential == "forbidden" || credential == "invalid")
      out = worst(out, Outcome::precondition);
    else if (l.state == calico::LinkState::stale_failure)
      out = worst(out, Outcome::stale_failures);
    else if (!l.healthy())
      out = worst(out, Outcome::links_degraded);
  }
  for (const auto& s : services) {
    if (!s.seen.missing.empty())
      out = worst(out, Outcome::links_degraded);
  }
  return out;
}

int StatusReport::exit_code() const {
  return meshctl::exit_code(outcome());
}

StatusReport gather_status(std::vector<Cluster>& clusters, const std::vector<bool>& discovered,
                           const StatusOptions& options) {
  StatusReport report;
  auto facts = parallel_map<ClusterFacts>(clusters.size(),
                                          [&](size_t i) { return read_cluster(clusters[i], options); });
  std::map<std::string, size_t> by_name;
  for (size_t i = 0; i < clusters.size(); ++i) {
    by_name[clusters[i].member.mesh_name] = i;
    ClusterStatus cs;
    cs.name = clusters[i].member.mesh_name;
    cs.context = clusters[i].member.context;
    cs.reachable = facts[i].reachable;
    cs.error = facts[i].error;
    cs.typha_replicas = static_cast<int>(facts[i].typha.replicas.size());
    cs.discovered = i < discovered.size() && discovered[i];
    cs.flavour = facts[i].flavour;
    report.clusters.push_back(cs);
  }

  struct Pending {
    LinkStatus link;
    std::string kubeconfig;
    const ClusterFacts* remote = nullptr;
    calico::LinkEvent event;
    std::string restart_command;
  };
  std::vector<Pending> pending;
  for (size_t l = 0; l < clusters.size(); ++l) {
    const auto& local = facts[l];
    if (!local.reachable)
      continue;
    std::map<std::string, const Json*> rcc_by_remote;
    for (const auto& rcc : local.rccs)
      rcc_by_remote[kube::metadata_string(rcc, "name")] = &rcc;
    std::vector<std::string> remotes;
    for (const auto& c : clusters) {
      if (c.member.mesh_name != clusters[l].member.mesh_name)
        remotes.push_back(c.member.mesh_name);
    }
    for (const auto& [name, rcc] : rcc_by_remote) {
      if (std::find(remotes.begin(), remotes.end(), name) == remotes.end())
        remotes.push_back(name);
    }
    for (const auto& remote : remotes) {
      Pending p;
      p.link.local = clusters[l].member.mesh_name;
      p.link.remote = remote;
      auto it = rcc_by_remote.find(remote);
      if (it == rcc_by_remote.end()) {
        p.link.state_name = "not-configured";
        p.link.detail = "no RemoteClusterConfiguration for " + remote + " in " + p.link.local;
        pending.push_back(std::move(p));
        continue;
      }
      const Json& rcc = *it->second;
      p.link.configured = true;
      p.link.managed = is_managed(rcc);
      p.link.overlay_routing =
          kube::string_at(kube::object_at(kube::object_at(rcc, "spec"), "syncOptions"), "overlayRoutingMode");
      if (auto r_it = by_name.find(remote); r_it != by_name.end() && facts[r_it->second].reachable) {
        p.remote = &facts[r_it->second];
      }
      check_objects(p.link, rcc, local, options);
      check_remote_pools(p.link, local, p.remote);
      p.link.data_plane = data_plane_lines(p.link, local, p.remote);
      auto verdict = local.typha.link(remote);
      p.event = verdict.event;
      p.link.state = verdict.event.state;
      p.link.state_name = std::string(calico::link_state_name(verdict.event.state));
      p.link.detail = verdict.event.detail;
      p.link.source = verdict.source;
      p.link.since = verdict.event.timestamp;
      p.link.witness = verdict.witness;
      p.restart_command = typha_restart_command(clusters[l].member.context, local.typha.deployments());
      auto secret = local.secrets.find(access_secret_key(rcc, options));
      if (secret != local.secrets.end())
        p.kubeconfig = secret_data(secret->second, "kubeconfig");
      pending.push_back(std::move(p));
    }
  }
  // Every cluster L stores the same credential for R (R's token, server and
  // CA): each distinct one is checked once, not once per link (N-1 times).
  std::map<std::pair<std::string, std::string>, size_t> credential_of;  // (remote, kubeconfig) -> check
  std::vector<size_t> first_link;
  for (size_t i = 0; i < pending.size(); ++i) {
    if (pending[i].kubeconfig.empty())
      continue;
    auto [it, fresh] =
        credential_of.try_emplace({pending[i].link.remote, pending[i].kubeconfig}, first_link.size());
    if (fresh)
      first_link.push_back(i);
  }
  auto credentials = parallel_map<CredentialCheck>(first_link.size(), [&](size_t c) {
    const Pending& p = pending[first_link[c]];
    RemoteTokenFacts token_facts;
    if (const auto* remote = p.remote; remote != nullptr && remote->federation_token) {
      token_facts.created = kube::metadata_string(*remote->federation_token, "creationTimestamp");
      token_facts.token = secret_data(*remote->federation_token, "token");
    }
    return check_credential(p.kubeconfig, p.remote ? &token_facts : nullptr,
                            options.check_credentials ? Probe::yes : Probe::no, options.request_timeout);
  });
  for (auto& p : pending) {
    LinkStatus link = std::move(p.link);
    if (!p.kubeconfig.empty())
      link.credential = credentials[credential_of.at({link.remote, p.kubeconfig})];
    if (is_stale_failure(p.event, link.credential)) {
      link.state = calico::LinkState::stale_failure;
      link.state_name = std::string(calico::link_state_name(link.state));
      link.detail = stale_failure_detail(link.remote, p.event, p.restart_command);
    }
    report.links.push_back(std::move(link));
  }
  if (options.services)
    report.services = federated_services(clusters, facts);
  for (const auto& link : report.links) {
    if (auto warning = expiry_warning(link.local, link.remote, link.credential))
      report.warnings.push_back(*warning);
  }
  if (options.check_credentials) {
    report.warnings.push_back(
        "credentials were checked from this machine; reachability from inside each local cluster may differ");
  }
  return report;
}

StatusReport watch_status(std::vector<Cluster>& clusters, const std::vector<bool>& discovered,
                          const StatusOptions& options, std::chrono::milliseconds timeout,
                          const std::function<void(const StatusReport&)>& on_unhealthy) {
  StatusReport report;
  const auto deadline = PollClock::now() + timeout;
  poll_until(deadline, std::chrono::seconds(2), [&] {
    report = gather_status(clusters, discovered, options);
    const bool healthy = report.exit_code() == 0;
    if (!healthy && PollClock::now() < deadline && !interrupted())  // another poll follows
      on_unhealthy(report);
    return healthy;
  });
  return report;
}

}  // namespace meshctl::mesh
