// meshctl status [CTX...]
#include "cli/flags.h"
#include "cli/help.h"
#include "commands.h"
#include "mesh/discovery.h"
#include "mesh/status.h"

namespace meshctl::cli {
namespace {

struct StatusFlags {
  ContextArgs clusters;
  mesh::StatusOptions options;
  bool wait = false;
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
  output::Format format = output::Format::table;
};

Result<int> run_status(Session& session, StatusFlags& f) {
  TRY_ASSIGN(auto config, session.load_kubeconfig());
  const auto client_options = session.quick_look_client_options();
  const auto named = f.clusters.all();
  TRY_ASSIGN(auto clusters, mesh::open_or_discover(config, named, client_options));
  const std::vector<bool> discovered(clusters.size(), named.empty());
  f.options.request_timeout = client_options.request_timeout;
  if (!f.wait)
    return output::show(mesh::gather_status(clusters, discovered, f.options), session.view(f.format));
  auto progress = session.progress();
  auto report =
      mesh::watch_status(clusters, discovered, f.options, f.timeout, [&](const mesh::StatusReport& r) {
        progress("status", "waiting: " + output::status_unhealthy_summary(r));
      });
  return output::show(report, session.view(f.format));
}

}  // namespace

void add_status_command(CLI::App& root, Session& session) {
  auto f = std::make_shared<StatusFlags>();
  auto* cmd = root.add_subcommand("status", "Show every directed link of the mesh, as Typha reports it");
  cmd->footer(long_help("status"));
  add_context_args(*cmd, f->clusters, "Contexts (CTX or NAME=CTX); default: discover");
  add_output_flag(*cmd, f->format, "table|wide|json|yaml");
  cmd->add_option("--secret-namespace", f->options.secret_namespace,
                  "Namespace of the per-link Secrets and Roles")
      ->capture_default_str();
  cmd->add_flag("--wait", f->wait, "Poll until every link is healthy or --timeout passes");
  add_duration_flag(*cmd, "--timeout", f->timeout, "Limit for --wait", "5m");
  cmd->add_flag("--services", f->options.services,
                "Also list the federated Services meshctl federate made, with their endpoints per source "
                "cluster; one that misses a cluster with ready backends is not healthy");
  cmd->add_flag_callback(
      "--no-credential-check", [f] { f->options.check_credentials = false; },
      "Do not try the stored credentials against the remote clusters");
  on_run(cmd, session, [&session, f] { return run_status(session, *f); });
}

}  // namespace meshctl::cli
