#include "mesh/preflight.h"

#include <fmt/format.h>

#include <map>

#include "calico/names.h"
#include "util/parallel.h"

namespace meshctl::mesh {
namespace {

struct Need {
  std::string verb, group, resource, namespace_;
};

std::vector<Need> needs_for(const JoinOptions& o, const std::string& fed_ns, PermissionSet set) {
  const std::string rbac = "rbac.authorization.k8s.io";
  const std::string calico(calico::kRccGroup);
  const std::string& sec_ns = o.secret_namespace;
  std::vector<std::string> write_verbs = set == PermissionSet::teardown
                                             ? std::vector<std::string>{"list", "delete"}
                                             : std::vector<std::string>{"list", "create", "patch"};
  if (set == PermissionSet::status)
    write_verbs = {"list"};
  std::vector<Need> out;
  auto add = [&](const std::string& group, const std::string& resource, const std::string& ns) {
    for (const auto& verb : write_verbs)
      out.push_back({verb, group, resource, ns});
  };
  add("", "serviceaccounts", fed_ns);
  add("", "secrets", fed_ns);
  if (sec_ns != fed_ns)
    add("", "secrets", sec_ns);
  add(rbac, "roles", sec_ns);
  add(rbac, "rolebindings", sec_ns);
  add(rbac, "clusterroles", "");
  add(rbac, "clusterrolebindings", "");
  add(calico, std::string(calico::kRccPlural), "");
  out.push_back({"get", "", "namespaces", ""});
  if (set != PermissionSet::teardown)
    out.push_back({"list", "", "pods", std::string(calico::kCalicoNamespace)});
  return out;
}

std::string describe(const Need& n) {
  std::string what = n.group.empty() ? n.resource : n.resource + "." + n.group;
  return n.namespace_.empty() ? fmt::format("{} {}", n.verb, what)
                              : fmt::format("{} {} in namespace {}", n.verb, what, n.namespace_);
}

void add_problem(PreflightReport& report, const std::string& cluster, const Error& e) {
  std::string line = e.message;
  if (!e.hint.empty())
    line += " (hint: " + e.hint + ")";
  report.problems.push_back({cluster, e.code, line});
}

// Decides where the federation ServiceAccount lives: the asked namespace, or
// kube-system when older Enterprise manifests already made it there.
Result<std::pair<std::string, bool>> federation_namespace(kube::Client& client, const JoinOptions& o) {
  if (o.federation_namespace_given)
    return std::pair{o.federation_namespace, false};
  const std::string name(calico::kFederationName);
  auto current = client.get(kube::resources::service_accounts, o.federation_namespace, name);
  if (current)
    return std::pair{o.federation_namespace, false};
  if (current.error().code != Errc::not_found)
    return current.error();
  auto legacy =
      client.get(kube::resources::service_accounts, std::string(calico::kLegacyFederationNamespace), name);
  if (legacy)
    return std::pair{std::string(calico::kLegacyFederationNamespace), true};
  if (legacy.error().code != Errc::not_found && legacy.error().code != Errc::forbidden)
    return legacy.error();
  return std::pair{o.federation_namespace, false};
}

struct ClusterOutcome {
  PreflightFacts facts;
  std::vector<Error> problems;
};

ClusterOutcome check_cluster(Cluster& c, const JoinOptions& o, PermissionSet set) {
  ClusterOutcome out;
  kube::Client& client = *c.client;
  auto version = client.version();
  if (!version) {
    out.problems.push_back(version.error());
    return out;  // nothing else can be learnt from a cluster that does not answer
  }
  out.facts.server_version = version->git_version;

  auto served = client.is_served(std::string(calico::kRccGroup), std::string(calico::kRccVersion),
                                 std::string(calico::kRccPlural));
  if (!served) {
    out.problems.push_back(served.error());
  } else if (!*served) {
    out.problems.push_back(
        Error(Errc::precondition,
              c.member.context + ": the RemoteClusterConfiguration API (projectcalico.org/v3) "
                                 "is not served",
              "install Calico Enterprise or Calico Cloud with its API server in this cluster"));
  }

  auto kube_system = client.get(kube::resources::namespaces, "", "kube-system");
  if (kube_system) {
    out.facts.kube_system_uid = (*kube_system)["metadata"].value("uid", "");
  } else {
    out.problems.push_back(kube_system.error());
  }
  if (set != PermissionSet::teardown) {
    for (const auto& ns : {o.secret_namespace, std::string(calico::kCalicoNamespace)}) {
      auto found = client.get(kube::resources::namespaces, "", ns);
      if (!found && found.error().code == Errc::not_found) {
        out.problems.push_back(Error(Errc::precondition,
                                     c.member.context + ": namespace " + ns + " does not exist",
                                     "install Calico Enterprise first, or choose another namespace"));
      }
    }
  }

  auto fed = federation_namespace(client, o);
  if (fed) {
    out.facts.federation_namespace = fed->first;
    out.facts.legacy_federation_namespace = fed->second;
  } else {
    out.problems.push_back(fed.error());
    out.facts.federation_namespace = o.federation_namespace;
  }

  std::vector<std::string> denied;
  for (const auto& need : needs_for(o, out.facts.federation_namespace, set)) {
    auto allowed = client.can_i({need.verb, need.group, need.resource, need.namespace_, ""});
    if (!allowed) {
      out.problems.push_back(allowed.error());
      break;
    }
    if (!*allowed)
      denied.push_back(describe(need));
  }
  if (!denied.empty()) {
    std::string list;
    for (const auto& d : denied)
      list += (list.empty() ? "" : ", ") + d;
    out.problems.push_back(
        Error(Errc::forbidden, c.member.context + ": not allowed to " + list,
              "ask for the permissions `meshctl join --print-required-permissions` lists"));
  }
  return out;
}

}  // namespace

PreflightReport run_preflight(std::vector<Cluster>& clusters, const JoinOptions& options,
                              PermissionSet needs) {
  auto outcomes = parallel_map<ClusterOutcome>(
      clusters.size(), [&](size_t i) { return check_cluster(clusters[i], options, needs); });
  PreflightReport report;
  std::map<std::string, std::string> uid_owner;
  for (size_t i = 0; i < clusters.size(); ++i) {
    const auto& name = clusters[i].member.mesh_name;
    for (const auto& e : outcomes[i].problems)
      add_problem(report, name, e);
    report.facts.push_back(outcomes[i].facts);
    const auto& uid = outcomes[i].facts.kube_system_uid;
    if (uid.empty())
      continue;
    auto [it, inserted] = uid_owner.emplace(uid, clusters[i].member.context);
    if (!inserted) {
      report.problems.push_back(
          {name, Errc::precondition,
           fmt::format("contexts \"{}\" and \"{}\" are the same cluster (kube-system UID {})", it->second,
                       clusters[i].member.context, uid) +
               " (hint: a cluster cannot be meshed with itself; name each cluster once)"});
    }
  }
  return report;
}

std::vector<std::string> required_permissions(const JoinOptions& options, PermissionSet needs) {
  std::vector<std::string> out;
  for (const auto& n : needs_for(options, options.federation_namespace, needs))
    out.push_back(describe(n));
  if (needs == PermissionSet::join) {
    out.push_back("get secrets in namespace " + options.federation_namespace + " (read the filled token)");
    out.push_back("get pods/log in namespace calico-system (verify links with --wait)");
    out.push_back("create selfsubjectaccessreviews.authorization.k8s.io (preflight)");
    out.push_back(
        "escalate and bind, or holding get/list/watch on namespaces, serviceaccounts, services, endpoints, "
        "pods, "
        "nodes and crd.projectcalico.org hostendpoints, ipamblocks, ippools (RBAC lets you grant only what "
        "you "
        "hold)");
  }
  return out;
}

}  // namespace meshctl::mesh
