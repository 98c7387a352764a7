// meshctl join CTX CTX [CTX...]
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/flags.h"
#include "cli/help.h"
#include "commands.h"
#include "mesh/join.h"
#include "mesh/render.h"

namespace meshctl::cli {
namespace {

struct JoinFlags {
  MeshFlags mesh;
  DryRun dry_run = DryRun::none;
  output::Format format = output::Format::table;
};

Result<int> run_join(Session& session, JoinFlags& f) {
  mesh::JoinOptions& options = f.mesh.options;
  if (f.mesh.print_permissions)
    return print_required_permissions("join", options);
  TRY(finish_mesh_options("join", f.mesh));
  options.dry_run = f.dry_run != DryRun::none;
  TRY_ASSIGN(auto config, session.load_kubeconfig());
  TRY_ASSIGN(auto clusters, mesh::open_clusters(config, options.members, session.client_options()));
  if (f.dry_run == DryRun::client)  // the objects from the kubeconfig alone: no request, no login plugin
    return output::show(mesh::render_offline(clusters, options), session.view(f.format),
                        fmt::format("meshctl join {}", fmt::join(f.mesh.clusters.all(), " ")));
  options.request_timeout = session.quick_look_client_options().request_timeout;
  return output::show(mesh::run_join(clusters, options, session.progress()), session.view(f.format));
}

}  // namespace

void add_join_command(CLI::App& root, Session& session) {
  auto f = std::make_shared<JoinFlags>();
  mesh::JoinOptions& o = f->mesh.options;
  auto* cmd = root.add_subcommand(
      "join", "Mesh the given contexts pairwise (every directed link) and verify each link");
  cmd->footer(long_help("join"));
  add_mesh_flags(*cmd, f->mesh);
  cmd->add_option_function<std::string>(
         "--token",
         [&o](const std::string& mode) {
           o.token_mode = mode == "bound" ? mesh::TokenMode::bound : mesh::TokenMode::secret;
         },
         "secret (a ServiceAccount token Secret, as Calico documents) | bound (TokenRequest with "
         "--token-ttl)")
      ->check(one_of({"secret", "bound"}, "a token mode"))
      ->default_str("secret");
  add_duration_flag(*cmd, "--token-ttl", o.token_ttl, "Lifetime of bound tokens", "8760h");
  add_duration_flag(*cmd, "--token-wait", o.token_fill_timeout,
                    "How long to wait for the token controller to fill a token", "60s");
  cmd->add_flag_callback(
      "--no-wait", [&o] { o.wait = false; }, "Do not wait for Typha to report the links in sync");
  add_duration_flag(*cmd, "--timeout", o.timeout, "How long to wait for every link to be in sync", "3m");
  add_dry_run_flag(
      *cmd, f->dry_run,
      "Show what would be created or changed and write nothing: server asks the API servers "
      "(preflight, server-side apply dry run); client prints the objects from the kubeconfig alone",
      ClientDryRun::possible);
  cmd->add_flag("--force-conflicts", o.force_conflicts, "Take over fields another field manager owns");
  cmd->add_flag("--restart-stale-typha", o.restart_stale_typha,
                "Where Typha reported a link failed after it was in sync (it never reports recovery) and the "
                "stored credential works, restart calico-typha there and wait for it to re-verify");
  add_output_flag(*cmd, f->format, "table|wide|json|yaml");
  on_run(cmd, session, [&session, f] { return run_join(session, *f); });
}

}  // namespace meshctl::cli
