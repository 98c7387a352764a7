// meshctl leave CTX... and meshctl teardown [CTX...]
#include "cli/flags.h"
#include "cli/help.h"
#include "commands.h"
#include "mesh/discovery.h"
#include "mesh/teardown.h"

namespace meshctl::cli {
namespace {

using Scope = mesh::TeardownScope;

struct TeardownFlags {
  ContextArgs clusters;
  mesh::TeardownOptions options;
  bool yes = false;
  output::Format format = output::Format::table;
};

Result<int> run_teardown(Session& session, TeardownFlags& f, Scope scope) {
  const auto named = f.clusters.all();
  if (scope == Scope::leavers && named.empty())
    return Error(Errc::usage, "leave needs the contexts that leave", "meshctl leave fra");
  const bool ask = scope == Scope::whole_mesh && named.empty() && !f.options.dry_run && !f.yes;
  if (ask && !stdin_and_stderr_are_terminals())  // before any cluster is opened
    return Error(Errc::usage,
                 "teardown without contexts deletes the mesh in every context of the kubeconfig and needs "
                 "confirmation",
                 "pass --yes, or name the contexts (meshctl teardown iad pdx); --dry-run lists what it would "
                 "delete");
  TRY_ASSIGN(auto config, session.load_kubeconfig());
  TRY_ASSIGN(auto targets, mesh::open_for_teardown(config, named, scope, session.client_options()));
  f.options.leaving = targets.leaving;
  const auto view = session.view(f.format);
  if (ask)  // a person sees what would be deleted, on a terminal, and says yes
    f.options.confirm = ask_before_deleting(view);
  return output::show(mesh::run_teardown(targets.clusters, targets.discovered, f.options, session.progress()),
                      view);
}

void add_shared_flags(CLI::App& cmd, TeardownFlags& f) {
  cmd.add_option("--secret-namespace", f.options.secret_namespace,
                 "Namespace of the per-link Secrets and Roles")
      ->capture_default_str();
  cmd.add_flag("--include-unmanaged", f.options.include_unmanaged,
               "Also delete hand-made RemoteClusterConfigurations");
  cmd.add_flag("--include-adopted", f.options.include_adopted,
               "Also delete objects join took over instead of creating (default: release them)");
  cmd.add_flag("--force", f.options.force, "Go on when a cluster is unreachable; report what was left there");
  add_dry_run_flag(cmd, f.options.dry_run, "List what would be deleted; delete nothing");
  add_output_flag(cmd, f.format, "table|json|yaml");
}

}  // namespace

void add_teardown_commands(CLI::App& root, Session& session) {
  auto leave_flags = std::make_shared<TeardownFlags>();
  auto* leave =
      root.add_subcommand("leave", "Remove clusters from the mesh, on their side and on every peer");
  leave->footer(long_help("leave"));
  add_context_args(*leave, leave_flags->clusters, "Leaving contexts (CTX or NAME=CTX)");
  add_shared_flags(*leave, *leave_flags);
  on_run(leave, session, [&session, f = leave_flags] { return run_teardown(session, *f, Scope::leavers); });

  auto teardown_flags = std::make_shared<TeardownFlags>();
  auto* teardown =
      root.add_subcommand("teardown", "Remove the whole mesh among the given clusters (default: all)");
  teardown->footer(long_help("teardown"));
  add_context_args(*teardown, teardown_flags->clusters, "Contexts (CTX or NAME=CTX); default: every context");
  add_shared_flags(*teardown, *teardown_flags);
  teardown->add_flag("-y,--yes", teardown_flags->yes,
                     "Without contexts: delete without asking (needed when stdin is not a terminal)");
  on_run(teardown, session,
         [&session, f = teardown_flags] { return run_teardown(session, *f, Scope::whole_mesh); });
}

}  // namespace meshctl::cli
