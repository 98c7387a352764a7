// meshctl join CTX CTX [CTX...]
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "app.h"
#include "mesh/join.h"
#include "mesh/preflight.h"
#include "mesh/render.h"
#include "mesh_flags.h"
#include "output/render.h"
#include "util/duration.h"
#include "util/log.h"

namespace meshctl::cli {
namespace {

struct JoinFlags {
  MeshFlags mesh;
  std::string token = "secret";
  std::string token_ttl = "8760h";
  std::string token_wait = "60s";
  bool no_wait = false;
  std::string timeout = "3m";
  std::string dry_run;  // DryRun
  bool force_conflicts = false;
  bool restart_stale_typha = false;
  std::string output = "table";
};

Result<mesh::JoinOptions> to_options(const JoinFlags& f, DryRun dry_run) {
  TRY_ASSIGN(mesh::JoinOptions o, mesh_options(f.mesh));
  if (f.token != "secret" && f.token != "bound")
    return Error(Errc::usage, "--token must be secret or bound");
  o.token_mode = f.token == "bound" ? mesh::TokenMode::bound : mesh::TokenMode::secret;
  TRY_ASSIGN(o.token_ttl, parse_duration_seconds(f.token_ttl));
  TRY_ASSIGN(o.token_fill_timeout, parse_duration_seconds(f.token_wait));
  TRY_ASSIGN(o.timeout, parse_duration_seconds(f.timeout));
  o.wait = !f.no_wait;
  o.dry_run = dry_run != DryRun::none;
  o.force_conflicts = f.force_conflicts;
  o.restart_stale_typha = f.restart_stale_typha;
  return o;
}

// --dry-run=client: the objects, as render prints them, from the kubeconfig
// alone (no request, no login plugin).
int print_offline_plan(const JoinFlags& f, const std::vector<mesh::Cluster>& clusters,
                       const mesh::JoinOptions& options, output::Format format) {
  auto report = mesh::render_offline(clusters, options);
  for (const auto& w : report.warnings)
    log::warn("{}", w);
  if (format == output::Format::json)
    fmt::print("{}", output::serialize(output::render_json(report), format));
  else
    fmt::print("{}", output::render_stream(
                         report, fmt::format("meshctl join {}", fmt::join(f.mesh.clusters.all(), " "))));
  return exit_code(report.outcome());
}

Result<int> run_join_command(App& app, const JoinFlags& f) {
  app.prepare();
  TRY_ASSIGN(auto format, output::parse_format(f.output));
  if (f.mesh.print_permissions)
    return print_required_permissions("join", f.mesh, false);
  if (f.mesh.clusters.all().size() < 2)
    return Error(Errc::usage, "join needs at least two contexts", "meshctl join iad pdx");
  TRY_ASSIGN(auto dry_run, parse_dry_run("join", f.dry_run, true));
  TRY_ASSIGN(auto options, to_options(f, dry_run));
  TRY_ASSIGN(auto config, app.load_kubeconfig());
  TRY_ASSIGN(auto clusters, mesh::open_clusters(config, options.members, app.client_options()));
  if (dry_run == DryRun::client)
    return print_offline_plan(f, clusters, options, format);
  options.request_timeout = std::min(app.client_options().request_timeout, std::chrono::milliseconds(10000));

  auto report = mesh::run_join(clusters, options, app.progress());
  std::fputs(log::redact(output::join_problem_lines(report)).c_str(), stderr);
  for (const auto& w : report.warnings)
    log::warn("{}", w);
  for (const auto& e : report.errors)
    std::fprintf(stderr, "meshctl: error: %s\n", log::redact(e).c_str());
  if (format == output::Format::json || format == output::Format::yaml) {
    fmt::print("{}", output::serialize(output::join_json(report), format));
  } else {
    fmt::print("{}", output::join_table(report, app.style, format));
  }
  if (report.interrupted)
    std::fputs(log::redact(output::join_interrupt_summary(report)).c_str(), stderr);
  return report.exit_code();
}

}  // namespace

void add_join_command(CLI::App& root, App& app) {
  auto f = std::make_shared<JoinFlags>();
  auto* cmd = root.add_subcommand(
      "join", "Mesh the given contexts pairwise (every directed link) and verify each link");
  cmd->footer(
      "\nEach CTX is a kubeconfig context; its mesh name (the RemoteClusterConfiguration name peers use)\n"
      "is the context made DNS-1123-safe, or NAME=CTX. Re-running is safe: unchanged objects are not "
      "written.\n\n"
      "Examples:\n"
      "  meshctl join iad pdx fra\n"
      "  meshctl join prod=arn:aws:eks:us-east-1:111122223333:cluster/prod stage=kind-stage \\\n"
      "      --server stage=https://10.0.0.5:6443\n"
      "  meshctl join iad pdx --dry-run -o yaml\n"
      "  meshctl join iad pdx --restart-stale-typha   # after an outage Typha never reports recovering from");
  add_mesh_flags(*cmd, f->mesh);
  cmd->add_option("--token", f->token,
                  "secret (a ServiceAccount token Secret, as Calico documents) | bound "
                  "(TokenRequest with --token-ttl)")
      ->capture_default_str();
  cmd->add_option("--token-ttl", f->token_ttl, "Lifetime of bound tokens")
      ->check(duration_check())
      ->capture_default_str();
  cmd->add_option("--token-wait", f->token_wait, "How long to wait for the token controller to fill a token")
      ->check(duration_check())
      ->capture_default_str();
  cmd->add_flag("--no-wait", f->no_wait, "Do not wait for Typha to report the links in sync");
  cmd->add_option("--timeout", f->timeout, "How long to wait for every link to be in sync")
      ->check(duration_check())
      ->capture_default_str();
  add_dry_run_flag(
      *cmd, f->dry_run,
      "Show what would be created or changed and write nothing: server asks the API servers "
      "(preflight, server-side apply dry run); client prints the objects from the kubeconfig alone",
      true);
  cmd->add_flag("--force-conflicts", f->force_conflicts, "Take over fields another field manager owns");
  cmd->add_flag("--restart-stale-typha", f->restart_stale_typha,
                "Where Typha reported a link failed after it was in sync (it never reports recovery) and the "
                "stored credential works, restart calico-typha there and wait for it to re-verify");
  cmd->add_option("-o,--output", f->output, "table|wide|json|yaml")->capture_default_str();
  cmd->callback([&app, f] { run_and_finish([&]() -> Result<int> { return run_join_command(app, *f); }); });
}

}  // namespace meshctl::cli
