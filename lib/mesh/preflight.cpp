#include "mesh/preflight.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <functional>
#include <map>
#include <set>

#include "calico/names.h"
#include "kube/fields.h"
#include "mesh/fingerprint.h"
#include "util/parallel.h"

namespace meshctl::mesh {
namespace {

using kube::AccessCheck;

std::vector<AccessCheck> needs_for(const JoinOptions& o, const std::string& fed_ns) {
  const std::string rbac = "rbac.authorization.k8s.io";
  const std::string calico(calico::kRccGroup);
  const std::string calico_ns(calico::kCalicoNamespace);
  const std::string& sec_ns = o.secret_namespace;
  std::vector<AccessCheck> out;
  auto add = [&](std::initializer_list<const char*> verbs, const std::string& group,
                 const std::string& resource, const std::string& ns) {
    for (const char* verb : verbs)
      out.push_back({verb, group, resource, ns, "", ""});
  };
  add({"list"}, "", "serviceaccounts", o.federation_namespace_given ? fed_ns : "");
  add({"create", "patch"}, "", "serviceaccounts", fed_ns);
  add({"list", "get", "create", "patch"}, "", "secrets", fed_ns);
  if (sec_ns != fed_ns)
    add({"list", "create", "patch"}, "", "secrets", sec_ns);
  if (o.token_mode == TokenMode::bound)
    out.push_back({"create", "", "serviceaccounts", fed_ns, "", "token"});
  add({"list", "create", "patch"}, rbac, "roles", sec_ns);
  add({"list", "create", "patch"}, rbac, "rolebindings", sec_ns);
  add({"get", "create", "patch"}, rbac, "clusterroles", "");
  add({"get", "create", "patch"}, rbac, "clusterrolebindings", "");
  add({"list", "create", "patch"}, calico, std::string(calico::kRccPlural), "");
  if (o.overlay_routing == "Disabled")
    add({"list", "create", "patch", "delete"}, calico, "ippools", "");
  add({"list"}, "", "namespaces", "");
  if (o.wait) {
    add({"list"}, "", "pods", calico_ns);
    out.push_back({"get", "", "pods", calico_ns, "", "log"});
  }
  if (o.read_only) {
    // render reads by name what is not labelled as meshctl's, to tell taking
    // an object over from creating it, as join's apply does.
    std::erase_if(out, [](const AccessCheck& need) { return need.verb != "get" && need.verb != "list"; });
    if (sec_ns != fed_ns)
      add({"get"}, "", "secrets", sec_ns);
    add({"get"}, rbac, "roles", sec_ns);
    add({"get"}, rbac, "rolebindings", sec_ns);
    add({"get"}, calico, std::string(calico::kRccPlural), "");
    add({"get"}, "", "serviceaccounts", fed_ns);
  }
  return out;
}

std::string describe(const AccessCheck& n) {
  std::string what = n.group.empty() ? n.resource : n.resource + "." + n.group;
  if (!n.subresource.empty())
    what = n.resource + "/" + n.subresource;
  return n.namespace_name.empty() ? fmt::format("{} {}", n.verb, what)
                                  : fmt::format("{} {} in namespace {}", n.verb, what, n.namespace_name);
}

void add_problem(PreflightReport& report, const std::string& cluster, const Error& e) {
  report.problems.push_back(ClusterProblem::of(cluster, e));
}

struct ClusterOutcome {
  PreflightFacts facts;
  std::vector<Error> problems;
};

// SelfSubjectRulesReviews by namespace, each asked once.
using RulesCache = std::map<std::string, kube::RulesReview>;

// One SelfSubjectRulesReview per namespace involved (usually just
// calico-system). Its rules include those of ClusterRoleBindings, the only
// grants of cluster-scoped resources, so cluster-scoped needs are judged by the
// first namespace's rules. An authorizer that cannot list its rules says
// `incomplete`; then what the rules do not grant is asked with a
// SelfSubjectAccessReview each.
Result<std::vector<std::string>> denied_permissions(kube::ClusterApi& client,
                                                    const std::vector<AccessCheck>& needs,
                                                    const std::string& default_ns, RulesCache& cache) {
  std::vector<std::string> denied;
  for (const auto& need : needs) {
    const std::string& ns = need.namespace_name.empty() ? default_ns : need.namespace_name;
    auto it = cache.find(ns);
    if (it == cache.end()) {
      TRY_ASSIGN(auto review, client.rules_review(ns));
      it = cache.emplace(ns, std::move(review)).first;
    }
    if (kube::rules_allow(it->second.rules, need))
      continue;
    if (it->second.incomplete) {
      TRY_ASSIGN(bool allowed, client.can_i(need));
      if (allowed)
        continue;
    }
    denied.push_back(describe(need));
  }
  return denied;
}

Status check_namespaces(kube::ClusterApi& client, const Cluster& c, const JoinOptions& o,
                        ClusterOutcome& out) {
  TRY_ASSIGN(kube::Json list, client.list(kube::resources::namespaces, ""));
  std::set<std::string> present;
  for (const auto& ns : list["items"]) {
    const auto& meta = ns["metadata"];
    present.insert(meta.value("name", ""));
    if (meta.value("name", "") == "kube-system")
      out.facts.kube_system_uid = meta.value("uid", "");
  }
  // A set: with the default secret namespace both are calico-system, and a
  // missing namespace is one line, not two.
  for (const auto& ns : std::set<std::string>{o.secret_namespace, std::string(calico::kCalicoNamespace)}) {
    if (present.count(ns) == 0) {
      out.problems.push_back(Error(Errc::precondition,
                                   c.member.context + ": namespace " + ns + " does not exist",
                                   "install Calico Enterprise first, or choose another namespace"));
    }
  }
  return {};
}

// Finds the federation ServiceAccount with one list across namespaces: in the
// asked namespace, or in kube-system when older Enterprise manifests made it
// there (then meshctl adopts that one instead of making a second).
Status find_federation_account(kube::ClusterApi& client, const JoinOptions& o, ClusterOutcome& out) {
  const std::string name(calico::kFederationName);
  const std::string scope = o.federation_namespace_given ? o.federation_namespace : "";
  TRY_ASSIGN(kube::Json list,
             client.list(kube::resources::service_accounts, scope, "", "metadata.name=" + name));
  std::map<std::string, kube::Json> by_namespace;
  for (auto& sa : list["items"]) {
    std::string ns = sa["metadata"].value("namespace", "");
    by_namespace[ns] = std::move(sa);  // key first: json moves its operand before the left side runs
  }
  const std::string legacy(calico::kLegacyFederationNamespace);
  std::string chosen = o.federation_namespace;
  if (!o.federation_namespace_given && by_namespace.count(chosen) == 0 && by_namespace.count(legacy) > 0) {
    chosen = legacy;
    out.facts.legacy_federation_namespace = true;
  }
  out.facts.federation_namespace = chosen;
  if (auto it = by_namespace.find(chosen); it != by_namespace.end())
    out.facts.live.objects[object_key(kube::resources::service_accounts, chosen, name)] =
        std::move(it->second);
  return {};
}

// The label-selected lists and by-name reads of what join compares before
// writing, all at once (one read_all). The federation ClusterRole and its
// binding carry the names the documented procedure uses too: they are read
// by name, labelled or not, so that join can tell taking one over from
// creating it; one that is not there is not an error. A 404 on the RCC list
// means the API is not served: the same answer discovery would give. The
// first failure, in this order, is the one reported.
Status observe(kube::ClusterApi& client, const Cluster& c, const JoinOptions& o,
               const std::string& federation_ns, LiveState& live) {
  const std::string managed = calico::managed_selector();
  std::vector<kube::ReadItem> reads;
  reads.push_back({&kube::resources::secrets, federation_ns, "", managed});
  if (o.secret_namespace != federation_ns)
    reads.push_back({&kube::resources::secrets, o.secret_namespace, "", managed});
  reads.push_back({&kube::resources::roles, o.secret_namespace, "", managed});
  reads.push_back({&kube::resources::role_bindings, o.secret_namespace, "", managed});
  for (const auto* resource : {&kube::resources::cluster_roles, &kube::resources::cluster_role_bindings}) {
    for (auto name : {calico::kFederationName, calico::kFederationV3RoleName})
      reads.push_back({resource, "", std::string(name), ""});
  }
  reads.push_back({&kube::resources::remote_cluster_configurations, "", "", managed});
  auto answers = client.read_all(reads);
  for (std::size_t i = 0; i < reads.size(); ++i) {
    const kube::ReadItem& read = reads[i];
    auto& answer = answers[i];
    const bool by_name = !read.name.empty();
    if (!answer && read.resource == &kube::resources::remote_cluster_configurations)
      return rcc_list_error(c.member.context, answer.error());
    if (!answer && by_name && answer.error().code == Errc::not_found)
      continue;
    if (!answer)
      return answer.error();
    if (by_name) {
      live.objects[object_key(*read.resource, "", read.name)] = std::move(*answer);
      continue;
    }
    for (auto& item : (*answer)["items"]) {
      const auto& meta = item["metadata"];
      auto key = object_key(*read.resource, read.resource->namespaced ? meta.value("namespace", "") : "",
                            meta.value("name", ""));
      live.objects[key] = std::move(item);
    }
  }
  return {};
}

// Adds a problem naming every permission the caller lacks; false when any
// check could not be made or something is missing.
bool permitted(kube::ClusterApi& client, const Cluster& c, const JoinOptions& o, const std::string& fed_ns,
               RulesCache& cache, std::vector<Error>& problems) {
  auto denied = denied_permissions(client, needs_for(o, fed_ns), o.secret_namespace, cache);
  if (!denied) {
    problems.push_back(denied.error());
    return false;
  }
  if (denied->empty())
    return true;
  std::string list;
  for (const auto& d : *denied)
    list += (list.empty() ? "" : ", ") + d;
  problems.push_back(
      Error(Errc::forbidden, c.member.context + ": not allowed to " + list,
            fmt::format("ask for the permissions `meshctl {} --print-required-permissions` lists",
                        o.read_only ? "render" : "join")));
  return false;
}

// Everything preflight reads in one cluster, sent together: the permission
// check, the federation ServiceAccount, the namespaces, what join compares
// with and the Calico fingerprint are independent of each other, so on a
// distant cluster they cost the round trips of the longest chain (the
// fingerprint's discovery, then its reads), not one per read. The permission
// check's answer comes first in what is reported: where it refuses (or the
// cluster does not answer) the other reads' failures say nothing more.
ClusterOutcome check_cluster(Cluster& c, const JoinOptions& o) {
  ClusterOutcome out;
  kube::ClusterApi& client = *c.client;
  RulesCache rules;
  bool allowed = false;
  std::vector<Error> permission_problems;
  ClusterOutcome account, namespaces;
  Status account_status, namespaces_status, observed_status;
  LiveState observed;
  OwnPools own_pools;
  const std::vector<std::function<void()>> reads{
      [&] { allowed = permitted(client, c, o, o.federation_namespace, rules, permission_problems); },
      [&] { account_status = find_federation_account(client, o, account); },
      [&] { namespaces_status = check_namespaces(client, c, o, namespaces); },
      // Assumes the asked federation namespace; read again below in the rare
      // case that older manifests' kube-system account is the one used.
      [&] { observed_status = observe(client, c, o, o.federation_namespace, observed); },
      [&] { out.facts.flavour = read_flavour(client, FlavourReads::with_data_plane, &own_pools); },
  };
  parallel_map<bool>(reads.size(), [&](std::size_t i) {
    reads[i]();
    return true;
  });
  if (!allowed) {
    out.problems = std::move(permission_problems);
    return out;
  }
  if (!account_status) {
    out.problems.push_back(account_status.error());
    return out;
  }
  out.facts.federation_namespace = account.facts.federation_namespace;
  out.facts.legacy_federation_namespace = account.facts.legacy_federation_namespace;
  out.facts.live.objects.merge(account.facts.live.objects);
  if (out.facts.legacy_federation_namespace) {
    if (!permitted(client, c, o, out.facts.federation_namespace, rules, out.problems))
      return out;
    observed = LiveState{};
    observed_status = observe(client, c, o, out.facts.federation_namespace, observed);
  }
  out.facts.kube_system_uid = namespaces.facts.kube_system_uid;
  out.problems.insert(out.problems.end(), namespaces.problems.begin(), namespaces.problems.end());
  for (const Status& s : {namespaces_status, observed_status}) {
    if (!s)
      out.problems.push_back(s.error());
  }
  out.facts.live.objects.merge(observed.objects);
  out.facts.token_generation = current_token_generation(out.facts.live, out.facts.federation_namespace);
  const kube::Resource& pools = ip_pool_resource(out.facts.flavour.api_mode);
  out.facts.pools_unlisted = own_pools.unlisted;
  for (auto& pool : own_pools.items) {
    const auto key = object_key(
        pools, "", kube::metadata_string(pool, "name"));  // before the move: `=` runs its right side first
    out.facts.live.objects[key] = std::move(pool);
  }
  return out;
}

// Disabled routing writes, in each such L, a disabled IPPool per pod CIDR of
// every remote: refused before any write when L's pools cannot be listed or
// a remote's pod CIDRs could not be read.
void judge_remote_pools(const std::vector<Cluster>& clusters, PreflightReport& report) {
  std::set<std::string> refused;  // already refused: no second line about what could not be read there
  for (const auto& p : report.problems)
    refused.insert(p.cluster);
  for (size_t l = 0; l < clusters.size(); ++l) {
    const auto& local = clusters[l].member.mesh_name;
    if (report.facts[l].overlay_routing != "Disabled" || refused.count(local) > 0)
      continue;
    if (!report.facts[l].pools_unlisted.empty()) {
      add_problem(
          report, local,
          Error(Errc::precondition,
                fmt::format("{}: overlay routing is Disabled, which needs a disabled IPPool per remote "
                            "pod CIDR, but IPPools (projectcalico.org/v3) cannot be listed: {}",
                            local, report.facts[l].pools_unlisted),
                "grant list, create, patch and delete on ippools.projectcalico.org, or use "
                "--overlay-routing Enabled where VXLAN or WireGuard carries the traffic"));
    }
    for (size_t r = 0; r < clusters.size(); ++r) {
      if (r == l || report.facts[r].flavour.data_plane.enabled_pools ||
          refused.count(clusters[r].member.mesh_name) > 0)
        continue;
      const auto& remote = clusters[r].member.mesh_name;
      add_problem(
          report, local,
          Error(Errc::precondition,
                fmt::format("{} <- {}: overlay routing in {} is Disabled, which needs the pod CIDRs of "
                            "{}, and its IPPools could not be read",
                            local, remote, local, remote),
                fmt::format("grant list on ippools in {}, or use --overlay-routing Enabled", remote)));
    }
  }
}

// What cross-cluster traffic needs (calico/dataplane.h), for every pair;
// each check can be skipped by name, and a skipped check is said aloud.
void judge_data_plane(const std::vector<Cluster>& clusters, const JoinOptions& o, PreflightReport& report) {
  std::vector<calico::DataPlaneMember> members;
  std::set<std::string> seen_uids;  // a context naming a cluster twice is refused above, not judged here
  for (size_t i = 0; i < clusters.size(); ++i) {
    const auto& uid = report.facts[i].kube_system_uid;
    if (uid.empty() || seen_uids.insert(uid).second)
      members.push_back({clusters[i].member.mesh_name, &report.facts[i].flavour.data_plane});
  }
  for (const auto& p : calico::data_plane_problems(members, o.skipped_checks))
    add_problem(report, p.cluster, Error(Errc::precondition, p.message, p.hint));
  for (const auto& check : o.skipped_checks)
    report.warnings.push_back(fmt::format("the data-plane check {} was skipped (--skip-check)", check));
}

// The rules that need every cluster's fingerprint: licence, migration,
// readers and remotes of different API modes, and the overlay routing mode.
void judge_flavours(const std::vector<Cluster>& clusters, const JoinOptions& o, PreflightReport& report) {
  FlavourRules rules{o.force, o.overlay_routing, !o.overlay_routing.empty()};
  std::vector<FlavouredCluster> flavoured;
  for (size_t i = 0; i < clusters.size(); ++i)
    flavoured.push_back({clusters[i].member.mesh_name, &report.facts[i].flavour});
  for (auto& p : flavour_problems(flavoured, rules))
    report.problems.push_back(std::move(p));
  judge_data_plane(clusters, o, report);
  for (size_t i = 0; i < clusters.size(); ++i) {
    std::string note;
    report.facts[i].overlay_routing = overlay_routing_for(report.facts[i].flavour, rules, &note);
    if (!note.empty())
      report.warnings.push_back(clusters[i].member.context + ": " + note);
    const auto& unread = report.facts[i].flavour.unread;
    if (!unread.empty()) {
      report.warnings.push_back(
          fmt::format("{}: could not read {}; the Calico checks that need them were skipped",
                      clusters[i].member.context, fmt::join(unread, "; ")));
    }
  }
  judge_remote_pools(clusters, report);
}

}  // namespace

RemotePools remote_pools(const PreflightFacts& local, const PreflightFacts& remote) {
  const auto& pools = remote.flavour.data_plane.enabled_pools;
  return {ip_pool_resource(local.flavour.api_mode), pools ? *pools : std::vector<calico::Pool>{}};
}

Outcome preflight_outcome(const std::vector<ClusterProblem>& problems) {
  Outcome out = Outcome::ok;
  for (const auto& p : problems) {
    Outcome o = outcome_of(p.code);
    out = worst(out, o == Outcome::failed ? Outcome::precondition : o);  // found before any write
  }
  return out;
}

PreflightReport run_preflight(std::vector<Cluster>& clusters, const JoinOptions& options) {
  auto outcomes = parallel_map<ClusterOutcome>(clusters.size(),
                                               [&](size_t i) { return check_cluster(clusters[i], options); });
  PreflightReport report;
  std::map<std::string, std::string> uid_owner;
  for (size_t i = 0; i < clusters.size(); ++i) {
    const auto& name = clusters[i].member.mesh_name;
    for (const auto& e : outcomes[i].problems)
      add_problem(report, name, e);
    report.facts.push_back(std::move(outcomes[i].facts));
    const auto& uid = report.facts.back().kube_system_uid;
    if (uid.empty())
      continue;
    auto [it, inserted] = uid_owner.emplace(uid, clusters[i].member.context);
    if (!inserted) {
      report.problems.push_back(
          {name, Errc::precondition,
           fmt::format("contexts \"{}\" and \"{}\" are the same cluster (kube-system UID {})", it->second,
                       clusters[i].member.context, uid),
           "a cluster cannot be meshed with itself; name each cluster once"});
    }
  }
  judge_flavours(clusters, options, report);
  return report;
}

std::vector<std::string> required_permissions(const JoinOptions& options) {
  std::vector<std::string> out;
  for (const auto& n : needs_for(options, options.federation_namespace))
    out.push_back(describe(n));
  out.push_back("create selfsubjectrulesreviews.authorization.k8s.io (preflight; every user may by default)");
  const char* fingerprint_reads =
      "optional: get apiservices.apiregistration.k8s.io v3.projectcalico.org, get deployments in namespace "
      "calico-system, get clusterinformations, licensekeys, felixconfigurations and list ippools in "
      "crd.projectcalico.org (or projectcalico.org where only that is served), list "
      "datastoremigrations.migration.projectcalico.org, list nodes, list servicecidrs.networking.k8s.io "
      "(or get service kubernetes in namespace default) (the Calico fingerprint: licence, migration and "
      "version checks, overlay routing derived from the pools, the data-plane checks)";
  if (options.read_only) {
    out.push_back(fingerprint_reads);
    return out;
  }
  out.push_back(
      "optional unless overlay routing is Disabled: list, create, patch, delete ippools in projectcalico.org "
      "(crd.projectcalico.org where only that serves them) (a disabled IPPool per remote pod CIDR, removed "
      "again on a switch to Enabled)");
  out.push_back("optional: watch secrets in namespace " + options.federation_namespace +
                " (the token wait watches; without it, it polls)");
  out.push_back("optional: delete secrets in namespace " + options.federation_namespace +
                " (only to replace a token issued for an earlier ServiceAccount)");
  out.push_back(
      "optional: get pods, pods/log in namespace calico-system (to verify links through Typha and "
      "calico-kube-controllers)");
  out.push_back(
      "optional: patch deployments calico-typha, calico-typha-noncluster-host in namespace "
      "calico-system (only with --restart-stale-typha)");
  out.push_back(fingerprint_reads);
  out.push_back(
      "escalate and bind, or holding get/list/watch on namespaces, serviceaccounts, services, endpoints, "
      "pods, "
      "nodes and hostendpoints, ipamblocks, ippools in crd.projectcalico.org and projectcalico.org (RBAC "
      "lets "
      "you grant only what you hold)");
  return out;
}

}  // namespace meshctl::mesh
