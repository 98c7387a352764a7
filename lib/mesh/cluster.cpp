#include "mesh/cluster.h"

#include <map>
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
  std::set<std::string> contexts;
  std::map<std::string, std::string> name_owner;  // mesh name -> first context that took it
  std::string problems;
  std::string example;  // a NAME=CTX that would resolve a collision
  for (const auto& m : members) {
    if (!contexts.insert(m.context).second)
      problems += "; context \"" + m.context + "\" is named twice";
    auto [it, inserted] = name_owner.emplace(m.mesh_name, m.context);
    if (!inserted && it->second != m.context) {
      problems += "; mesh name \"" + m.mesh_name + "\" is used twice (contexts \"" + it->second +
                  "\" and \"" + m.context + "\")";
      example = m.mesh_name + "-2=" + m.context;
    }
  }
  if (problems.empty())
    return {};
  return Error(Errc::usage, "the cluster list is ambiguous: " + problems.substr(2),
               example.empty() ? "name each context once"
                               : "name the clusters explicitly with NAME=CTX, e.g. " + example);
}

Result<std::vector<Member>> parse_members(const std::vector<std::string>& args) {
  std::vector<Member> members;
  for (const auto& arg : args) {
    TRY_ASSIGN(auto member, parse_member(arg));
    members.push_back(member);
  }
  TRY(check_members(members));
  return members;
}

Result<std::vector<Cluster>> open_clusters(const kube::Kubeconfig& config, const std::vector<Member>& members,
                                           const kube::ClientOptions& options) {
  std::vector<Cluster> clusters;
  std::vector<Error> problems;
  for (const auto& m : members) {
    auto resolved = config.resolve(m.context);
    if (!resolved) {
      problems.push_back(resolved.error());
      continue;
    }
    auto client = kube::Client::create(*resolved, options);
    if (!client) {
      problems.push_back(client.error());
      continue;
    }
    clusters.push_back(Cluster{m, std::move(*resolved), std::move(*client)});
  }
  if (problems.size() == 1)
    return problems.front();  // keeps its code and hint
  if (!problems.empty()) {
    // One line per context, each with its own hint (output::error_lines).
    Error several(Errc::config, problems.front().message, problems.front().hint);
    several.also.assign(problems.begin() + 1, problems.end());
    return several;
  }
  return clusters;
}

}  // namespace meshctl::mesh
