#include "mesh_flags.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "calico/dataplane.h"
#include "mesh/preflight.h"
#include "util/outcome.h"

namespace meshctl::cli {

void add_mesh_flags(CLI::App& cmd, MeshFlags& f) {
  add_context_args(cmd, f.clusters, "Contexts to mesh: CTX or NAME=CTX (at least two)");
  cmd.add_option("--server", f.servers, "NAME=URL: the API server address other clusters use for NAME");
  cmd.add_option(
      "--namespace", f.federation_namespace,
      "Namespace of the federation ServiceAccount and token (default calico-system, or kube-system "
      "when older manifests already made it there)");
  cmd.add_option("--secret-namespace", f.secret_namespace, "Namespace of the per-link Secrets and Roles")
      ->capture_default_str();
  cmd.add_option("--overlay-routing", f.overlay_routing,
                 "Enabled|Disabled, written into each RCC (default: per cluster, as the Calico API server "
                 "would: Enabled where VXLAN or WireGuard is on). With Disabled (the network routes pod "
                 "addresses) each cluster also gets a disabled IPPool per remote pod CIDR, so that "
                 "natOutgoing does not rewrite cross-cluster traffic");
  cmd.add_flag("--force", f.force, "Go on even while a Calico datastore migration is in progress");
  cmd.add_flag("--allow-loopback-servers", f.allow_loopback,
               "Expect loopback API server addresses (the local lab) instead of warning about them");
  cmd.add_option("--skip-check", f.skipped_checks,
                 "Do not refuse on this data-plane check (repeatable): pool-overlap, service-overlap, "
                 "node-names, overlay; "
                 "the output says it was skipped");
  cmd.add_flag("--print-required-permissions", f.print_permissions,
               "Print the RBAC permissions this command needs and exit");
}

Result<mesh::JoinOptions> mesh_options(const MeshFlags& f) {
  mesh::JoinOptions o;
  for (const auto& arg : f.clusters.all()) {
    TRY_ASSIGN(auto member, mesh::parse_member(arg));
    o.members.push_back(member);
  }
  TRY(mesh::check_members(o.members));
  for (const auto& s : f.servers) {
    auto eq = s.find('=');
    if (eq == std::string::npos || s.find("://") == std::string::npos) {
      return Error(Errc::usage, "--server \"" + s + "\" is not NAME=URL",
                   "e.g. --server pdx=https://10.0.0.5:6443");
    }
    o.server_overrides[s.substr(0, eq)] = s.substr(eq + 1);
  }
  for (const auto& [name, url] : o.server_overrides) {
    bool known = false;
    for (const auto& m : o.members)
      known = known || m.mesh_name == name;
    if (!known)
      return Error(Errc::usage, "--server names \"" + name + "\", which is not a cluster of this command");
  }
  if (!f.federation_namespace.empty()) {
    o.federation_namespace = f.federation_namespace;
    o.federation_namespace_given = true;
  }
  o.secret_namespace = f.secret_namespace;
  if (!f.overlay_routing.empty() && f.overlay_routing != "Enabled" && f.overlay_routing != "Disabled") {
    return Error(Errc::usage, "--overlay-routing must be Enabled or Disabled");
  }
  o.overlay_routing = f.overlay_routing;
  o.force = f.force;
  o.lab = f.allow_loopback;
  const auto& checks = calico::data_plane_checks();
  for (const auto& name : f.skipped_checks) {
    if (std::find(checks.begin(), checks.end(), name) == checks.end()) {
      return Error(Errc::usage, "--skip-check " + name + " names no check",
                   fmt::format("the data-plane checks are {}", fmt::join(checks, ", ")));
    }
    o.skipped_checks.insert(name);
  }
  return o;
}

int print_required_permissions(const std::string& command, const MeshFlags& f, bool read_only) {
  mesh::JoinOptions defaults;
  if (!f.federation_namespace.empty())
    defaults.federation_namespace = f.federation_namespace;
  defaults.secret_namespace = f.secret_namespace;
  defaults.read_only = read_only;
  defaults.wait = !read_only;
  fmt::print("meshctl {} needs, in every cluster:\n", command);
  for (const auto& line : mesh::required_permissions(defaults))
    fmt::print("  {}\n", line);
  return exit_code(Outcome::ok);
}

}  // namespace meshctl::cli
