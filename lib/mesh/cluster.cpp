#include "mesh/cluster.h"

#include <set>

#include "calico/names.h"

namespace meshctl::mesh {

Result<Member> parse_member(const std::string& arg) {
  Member m;
  if (auto eq = arg.find('='); eq != std::string::npos) {
    m.mesh_name = arg.substr(0, eq);
    m.context = arg.substr(eq + 1);
    if (!calico::is_dns1123_label(m.mesh_name)) {
      return Error(Errc::usage,
                   "mesh name \"" + m.mesh_name + "\" in \"" + arg + "\" is not a DNS-1123 label",
                   "use lower-case letters, digits and '-', at most 63 characters");
    }
  } else {
    m.context = arg;
    m.mesh_name = calico::mesh_name_from_context(arg);
    if (m.mesh_name.empty()) {
      return Error(Errc::usage, "cannot derive a mesh name from context \"" + arg + "\"",
                   "name it explicitly: NAME=" + arg);
    }
  }
  if (m.context.empty())
    return Error(Errc::usage, "empty context in \"" + arg + "\"");
  return m;
}

Status check_members(const std::vector<Member>& members) {
  std::set<std::string> contexts, names;
  std::string problems;
  for (const auto& m : members) {
    if (!contexts.insert(m.context).second)
      problems += "\n  context \"" + m.context + "\" is named twice";
    if (!names.insert(m.mesh_name).second) {
      problems += "\n  mesh name \"" + m.mesh_name + "\" is used twice (context \"" + m.context +
                  "\"); name clusters explicitly with NAME=CTX";
    }
  }
  if (!problems.empty())
    return Error(Errc::usage, "the cluster list is ambiguous:" + problems);
  return {};
}

Result<std::vector<Cluster>> open_clusters(const kube::Kubeconfig& config, const std::vector<Member>& members,
                                           const kube::ClientOptions& options) {
  std::vector<Cluster> clusters;
  std::string problems;
  for (const auto& m : members) {
    auto resolved = config.resolve(m.context);
    if (!resolved) {
      problems += (problems.empty() ? "" : "\n") + resolved.error().message;
      continue;
    }
    auto client = kube::Client::create(*resolved, options);
    if (!client) {
      problems += (problems.empty() ? "" : "\n") + client.error().message;
      continue;
    }
    clusters.push_back(Cluster{m, std::move(*resolved), std::move(*client)});
  }
  if (!problems.empty())
    return Error(Errc::config, problems);
  return clusters;
}

}  // namespace meshctl::mesh
