// meshctl status [CTX...]
#include <fmt/format.h>

#include <thread>

#include "app.h"
#include "calico/names.h"
#include "mesh/discovery.h"
#include "mesh/status.h"
#include "util/duration.h"
#include "util/interrupt.h"
#include "util/log.h"

namespace meshctl::cli {
namespace {

struct StatusFlags {
  ContextArgs clusters;
  std::string output = "table";
  std::string secret_namespace{calico::kCalicoNamespace};
  bool wait = false;
  std::string timeout = "5m";
  bool no_credential_check = false;
  bool services = false;
};

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
  const auto named = f.clusters.all();
  if (named.empty()) {
    TRY_ASSIGN(clusters, mesh::discover_mesh(config, client_options));
  } else {
    TRY_ASSIGN(clusters, mesh::open_named(config, named, client_options));
  }
  std::vector<bool> discovered(clusters.size(), named.empty());

  mesh::StatusOptions options;
  options.secret_namespace = f.secret_namespace;
  options.check_credentials = !f.no_credential_check;
  options.services = f.services;
  options.request_timeout = client_options.request_timeout;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  mesh::StatusReport report;
  auto progress = app.progress();
  while (true) {
    report = mesh::gather_status(clusters, discovered, options);
    if (!f.wait || report.exit_code() == 0 || std::chrono::steady_clock::now() >= deadline || interrupted())
      break;
    progress("status", "waiting: " + output::status_unhealthy_summary(report));
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  if (format == output::Format::json || format == output::Format::yaml) {
    fmt::print("{}", output::serialize(output::status_json(report), format));
  } else {
    fmt::print("{}", output::status_table(report, app.style, format));
    for (const auto& w : report.warnings)
      log::info("note: {}", w);
  }
  if (report.exit_code() != 0)
    std::fprintf(stderr, "meshctl: the mesh is not healthy (exit %d): %s\n", report.exit_code(),
                 log::redact(output::status_unhealthy_summary(report)).c_str());
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
  add_context_args(*cmd, f->clusters, "Contexts (CTX or NAME=CTX); default: discover");
  cmd->add_option("-o,--output", f->output, "table|wide|json|yaml")->capture_default_str();
  cmd->add_option("--secret-namespace", f->secret_namespace, "Namespace of the per-link Secrets and Roles")
      ->capture_default_str();
  cmd->add_flag("--wait", f->wait, "Poll until every link is healthy or --timeout passes");
  cmd->add_option("--timeout", f->timeout, "Limit for --wait")
      ->check(duration_check())
      ->capture_default_str();
  cmd->add_flag("--services", f->services,
                "Also list the federated Services meshctl federate made, with their endpoints per source "
                "cluster; one that misses a cluster with ready backends is not healthy");
  cmd->add_flag("--no-credential-check", f->no_credential_check,
                "Do not try the stored credentials against the remote clusters");
  cmd->callback([&app, f] { run_and_finish([&]() -> Result<int> { return run_status(app, *f); }); });
}

}  // namespace meshctl::cli
