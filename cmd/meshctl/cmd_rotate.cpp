// meshctl rotate [CTX...]
#include "cli/flags.h"
#include "cli/help.h"
#include "commands.h"
#include "mesh/discovery.h"
#include "mesh/rotate.h"

namespace meshctl::cli {
namespace {

struct RotateFlags {
  ContextArgs clusters;
  mesh::RotateOptions options;
  output::Format format = output::Format::table;
};

Result<int> run_rotate(Session& session, RotateFlags& f) {
  mesh::RotateOptions& options = f.options;
  options.every_context = f.clusters.all().empty();
  options.join.request_timeout = session.quick_look_client_options().request_timeout;
  TRY_ASSIGN(auto config, session.load_kubeconfig());
  TRY_ASSIGN(auto targets, mesh::open_for_rotate(config, f.clusters.all(), session.client_options()));
  return output::show(mesh::run_rotate(targets.rotated, targets.others, options, session.progress()),
                      session.view(f.format));
}

}  // namespace

void add_rotate_command(CLI::App& root, Session& session) {
  auto f = std::make_shared<RotateFlags>();
  mesh::RotateOptions& o = f->options;
  auto* cmd = root.add_subcommand(
      "rotate", "Give clusters a new federation credential, hand it to every peer, then revoke the old one");
  cmd->footer(long_help("rotate"));
  add_context_args(*cmd, f->clusters, "Clusters whose credential is rotated: CTX or NAME=CTX");
  add_federation_namespace_flag(*cmd, o.join,
                                "Namespace of the federation ServiceAccount (default calico-system, or "
                                "kube-system where older manifests made it)");
  cmd->add_option("--secret-namespace", o.join.secret_namespace, "Namespace of the per-link Secrets")
      ->capture_default_str();
  add_duration_flag(*cmd, "--token-ttl", o.join.token_ttl, "Lifetime of new bound tokens", "8760h");
  add_duration_flag(*cmd, "--token-wait", o.join.token_fill_timeout,
                    "How long to wait for the token controller to fill a token", "60s");
  add_duration_flag(*cmd, "--timeout", o.join.timeout,
                    "How long to wait for every link to be in sync with the new token", "3m");
  add_dry_run_flag(*cmd, o.join.dry_run, "Show what would change (server-side dry run); change nothing");
  cmd->add_flag("--include-adopted", o.include_adopted,
                "Delete an old token Secret meshctl took over instead of releasing it");
  cmd->add_flag("--force", o.force, "Revoke even when some context of the kubeconfig could not be searched");
  cmd->add_flag("--force-conflicts", o.join.force_conflicts,
                "Take over a link Secret's fields another field manager owns (e.g. applied by a GitOps tool, "
                "which would then put the old token back: re-render instead)");
  add_output_flag(*cmd, f->format, "table|json|yaml");
  on_run(cmd, session, [&session, f] { return run_rotate(session, *f); });
}

}  // namespace meshctl::cli
