// meshctl status [CTX...]
#include <fmt/format.h>

#include <thread>

#include "app.h"
#include "calico/names.h"
#include "mesh/status.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/parallel.h"

namespace meshctl::cli {
namespace {

struct StatusFlags {
  std::vector<std::string> clusters;
  std::string output = "table";
  std::string secret_namespace = "calico-system";
  bool wait = false;
  std::string timeout = "5m";
  bool no_credential_check = false;
};

// Without named contexts: every context that answers and has
// RemoteClusterConfigurations or a meshctl federation identity.
std::vector<mesh::Cluster> discover_mesh(const kube::Kubeconfig& config, const kube::ClientOptions& options,
                                         std::vector<std::string>& skipped) {
  auto all = open_all_contexts(config, {}, options);
  auto in_mesh = parallel_map<int>(all.size(), [&](size_t i) {
    auto rccs = all[i].client->list(kube::resources::remote_cluster_configurations, "");
    if (!rccs)
      return -1;
    if (!(*rccs)["items"].empty())
      return 1;
    auto managed = all[i].client->list(kube::resources::cluster_roles, "", calico::managed_selector());
    return managed && !(*managed)["items"].empty() ? 1 : 0;
  });
  std::vector<mesh::Cluster> out;
  for (size_t i = 0; i < all.size(); ++i) {
    if (in_mesh[i] == 1)
      out.push_back(std::move(all[i]));
    if (in_mesh[i] == -1)
      skipped.push_back(all[i].member.context);
  }
  return out;
}

Result<int> run_status(App& app, const StatusFlags& f) {
  app.prepare();
  TRY_ASSIGN(auto format, output::parse_format(f.output));
  TRY_ASSIGN(auto timeout, parse_duration(f.timeout));
  TRY_ASSIGN(auto config, app.load_kubeconfig());
  // A quick look must not hang on one cluster that does not answer: every
  // request is bounded by min(--request-timeout, 10s) and retried once.
  auto client_options = app.client_options();
  client_options.request_timeout = std::min(client_options.request_timeout, std::chrono::milliseconds(10000));
  client_options.connect_timeout = std::min(client_options.connect_timeout, client_options.request_timeout);
  client_options.max_retries = 1;

  std::vector<mesh::Cluster> clusters;
  std::vector<bool> discovered;
  if (f.clusters.empty()) {
    std::vector<std::string> skipped;
    clusters = discover_mesh(config, client_options, skipped);
    for (const auto& s : skipped)
      log::warn("context \"{}\" did not answer; it is left out of this status", s);
    discovered.assign(clusters.size(), true);
    if (clusters.empty()) {
      return Error(Errc::precondition,
                   "no context in the kubeconfig has RemoteClusterConfigurations or meshctl "
                   "objects",
                   "name the contexts: meshctl status iad pdx");
    }
  } else {
    std::vector<mesh::Member> members;
    for (const auto& arg : f.clusters) {
      TRY_ASSIGN(auto m, mesh::parse_member(arg));
      members.push_back(m);
    }
    TRY(mesh::check_members(members));
    TRY_ASSIGN(clusters, mesh::open_clusters(config, members, client_options));
    discovered.assign(clusters.size(), false);
  }

  mesh::StatusOptions options;
  options.secret_namespace = f.secret_namespace;
  options.check_credentials = !f.no_credential_check;
  options.request_timeout = client_options.request_timeout;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  mesh::StatusReport report;
  while (true) {
    report = mesh::gather_status(clusters, discovered, options);
    if (!f.wait || report.exit_code() == 0 || std::chrono::steady_clock::now() >= deadline || interrupted())
      break;
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  if (format == output::Format::json || format == output::Format::yaml) {
    fmt::print("{}", output::serialize(output::status_json(report), format));
  } else {
    fmt::print("{}", output::status_table(report, app.style, format));
    for (const auto& w : report.warnings)
      log::info("note: {}", w);
  }
  return report.exit_code();
}

}  // namespace

void add_status_command(CLI::App& root, App& app) {
  auto f = std::make_shared<StatusFlags>();
  auto* cmd = root.add_subcommand("status", "Show every directed link of the mesh, as Typha reports it");
  cmd->footer(
      "\nWithout contexts, every kubeconfig context that has RemoteClusterConfigurations or meshctl "
      "objects.\n"
      "Each row is a link LOCAL <- REMOTE: Typha's state in LOCAL (every replica), whether the objects\n"
      "match what join writes, and whether the stored credential still works against REMOTE (checked\n"
      "from this machine). Exit code 0 only when every link is healthy.\n\n"
      "Examples:\n  meshctl status\n  meshctl status iad pdx -o json\n  meshctl status --wait --timeout 10m");
  cmd->add_option("clusters", f->clusters, "Contexts (CTX or NAME=CTX); default: discover");
  cmd->add_option("-o,--output", f->output, "table|wide|json|yaml")->capture_default_str();
  cmd->add_option("--secret-namespace", f->secret_namespace, "Namespace of the per-link Secrets and Roles")
      ->capture_default_str();
  cmd->add_flag("--wait", f->wait, "Poll until every link is healthy or --timeout passes");
  cmd->add_option("--timeout", f->timeout, "Limit for --wait")->capture_default_str();
  cmd->add_flag("--no-credential-check", f->no_credential_check,
                "Do not try the stored credentials against the remote clusters");
  cmd->callback([&app, f] { run_and_finish([&]() -> Result<int> { return run_status(app, *f); }); });
}

}  // namespace meshctl::cli
