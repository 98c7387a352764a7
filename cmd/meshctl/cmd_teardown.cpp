// meshctl leave CTX... and meshctl teardown [CTX...]
#include <fmt/format.h>

#include <algorithm>

#include "app.h"
#include "calico/names.h"
#include "mesh/discovery.h"
#include "mesh/teardown.h"
#include "util/interrupt.h"
#include "util/log.h"

namespace meshctl::cli {
namespace {

struct TeardownFlags {
  ContextArgs clusters;
  std::string secret_namespace{calico::kCalicoNamespace};
  bool include_unmanaged = false;
  bool include_adopted = false;
  bool force = false;
  std::string dry_run;  // DryRun
  bool yes = false;
  std::string output = "table";
};

// teardown without contexts deletes in every context of the kubeconfig: a
// script says --yes, a person confirms on a terminal after seeing the list.
bool needs_confirmation(const TeardownFlags& f, bool whole_mesh, bool dry_run) {
  return whole_mesh && f.clusters.all().empty() && !dry_run && !f.yes;
}

Result<void> refuse_unconfirmed() {
  return Error(Errc::usage,
               "teardown without contexts deletes the mesh in every context of the kubeconfig and needs "
               "confirmation",
               "pass --yes, or name the contexts (meshctl teardown iad pdx); --dry-run lists what it would "
               "delete");
}

// Shows the dry run on stderr and asks; nothing to delete asks nothing.
bool confirmed_on_terminal(const mesh::TeardownReport& preview, const output::TerminalStyle& style) {
  std::fputs(output::teardown_table(preview, output::on_stderr(style)).c_str(), stderr);
  auto deletes = std::count_if(preview.objects.begin(), preview.objects.end(),
                               [](const mesh::DeletedObject& o) { return o.action == "would-delete"; });
  return deletes == 0 || ask_yes_no(fmt::format("Delete these {} objects in the contexts above?", deletes));
}

int show(const mesh::TeardownReport& report, output::Format format, const output::TerminalStyle& style,
         bool force) {
  for (const auto& w : report.warnings)
    log::warn("{}", w);
  if (format == output::Format::json || format == output::Format::yaml) {
    fmt::print("{}", output::serialize(output::teardown_json(report), format));
  } else {
    fmt::print("{}", output::teardown_table(report, style));
  }
  if (!report.unreachable.empty() && !force) {
    std::fprintf(stderr,
                 "meshctl: nothing was deleted because a cluster is unreachable; fix it, or pass --force to "
                 "clean the reachable clusters now and finish later\n");
  }
  return report.exit_code();
}

Result<int> run(App& app, const TeardownFlags& f, bool whole_mesh) {
  app.prepare();
  TRY_ASSIGN(auto format, output::parse_format(f.output));
  TRY_ASSIGN(auto dry_run, parse_dry_run(whole_mesh ? "teardown" : "leave", f.dry_run, false));
  const bool listing_only = dry_run != DryRun::none;
  if (needs_confirmation(f, whole_mesh, listing_only) && !stdin_and_stderr_are_terminals())
    TRY(refuse_unconfirmed());  // before any cluster is opened
  TRY_ASSIGN(auto config, app.load_kubeconfig());
  std::vector<mesh::Member> leaving;
  if (!whole_mesh && f.clusters.all().empty())
    return Error(Errc::usage, "leave needs the contexts that leave", "meshctl leave fra");
  for (const auto& arg : f.clusters.all()) {
    TRY_ASSIGN(auto m, mesh::parse_member(arg));
    leaving.push_back(m);
  }
  TRY(mesh::check_members(leaving));
  TRY_ASSIGN(auto clusters, mesh::open_clusters(config, leaving, app.client_options()));
  mesh::TeardownOptions options;
  for (const auto& m : leaving)
    options.leaving.insert(m.mesh_name);
  // Peers are every other context of the kubeconfig: a link to a leaver can
  // live in any of them.
  auto peers =
      mesh::peers_worth_searching(clusters, mesh::open_all_contexts(config, leaving, app.client_options()));
  if (whole_mesh && leaving.empty()) {
    for (auto& p : peers)
      options.leaving.insert(p.member.mesh_name);
  }
  std::vector<bool> discovered(clusters.size(), false);
  for (auto& p : peers) {
    clusters.push_back(std::move(p));
    discovered.push_back(true);
  }
  options.secret_namespace = f.secret_namespace;
  options.include_unmanaged = f.include_unmanaged;
  options.include_adopted = f.include_adopted;
  options.force = f.force;
  options.dry_run = listing_only;
  if (needs_confirmation(f, whole_mesh, listing_only)) {
    options.dry_run = true;
    auto preview = mesh::run_teardown(clusters, discovered, options, app.progress());
    // An unreachable cluster stops here unless --force, which goes on with the rest.
    const bool forced_past = f.force && preview.errors.empty() && preview.outcome() == Outcome::unreachable;
    if (preview.outcome() != Outcome::ok && !forced_past)
      return show(preview, format, app.style, f.force);
    const bool yes = confirmed_on_terminal(preview, app.style);
    if (interrupted())
      return exit_code(Outcome::interrupted);
    if (!yes) {
      std::fputs("meshctl: teardown not confirmed; nothing was deleted\n", stderr);
      return 1;
    }
    options.dry_run = false;
  }
  auto report = mesh::run_teardown(clusters, discovered, options, app.progress());
  return show(report, format, app.style, f.force);
}

}  // namespace

void add_teardown_commands(CLI::App& root, App& app) {
  auto leave_flags = std::make_shared<TeardownFlags>();
  auto* leave =
      root.add_subcommand("leave", "Remove clusters from the mesh, on their side and on every peer");
  leave->footer(
      "\nDeletes, by meshctl's labels: in each leaving cluster every meshctl object (its links and its\n"
      "federation identity, so the token its peers held stops working); in every other context of the\n"
      "kubeconfig the links that point at a leaver. Hand-made RemoteClusterConfigurations are reported,\n"
      "not deleted, unless --include-unmanaged. Objects join took over (they existed before it) are\n"
      "released (kept, meshctl's labels removed), unless --include-adopted.\n\nExamples:\n  meshctl leave "
      "fra\n  meshctl leave fra "
      "--dry-run");
  add_context_args(*leave, leave_flags->clusters, "Leaving contexts (CTX or NAME=CTX)");
  auto* teardown =
      root.add_subcommand("teardown", "Remove the whole mesh among the given clusters (default: all)");
  auto teardown_flags = std::make_shared<TeardownFlags>();
  teardown->footer(
      "\nDeletes what leave deletes, for every named cluster at once. Without contexts it searches every\n"
      "context of the kubeconfig and asks first on a terminal; a script passes --yes.\n\nExamples:\n"
      "  meshctl teardown iad pdx fra\n  meshctl teardown --dry-run -o json\n  meshctl teardown --yes        "
      "# every context, no prompt (CI)");
  add_context_args(*teardown, teardown_flags->clusters, "Contexts (CTX or NAME=CTX); default: every context");
  for (auto [cmd, f] : {std::pair{leave, leave_flags}, std::pair{teardown, teardown_flags}}) {
    cmd->add_option("--secret-namespace", f->secret_namespace, "Namespace of the per-link Secrets and Roles")
        ->capture_default_str();
    cmd->add_flag("--include-unmanaged", f->include_unmanaged,
                  "Also delete hand-made RemoteClusterConfigurations");
    cmd->add_flag("--include-adopted", f->include_adopted,
                  "Also delete objects join took over instead of creating (default: release them)");
    cmd->add_flag("--force", f->force, "Go on when a cluster is unreachable; report what was left there");
    add_dry_run_flag(*cmd, f->dry_run, "List what would be deleted; delete nothing", false);
    cmd->add_option("-o,--output", f->output, "table|json|yaml")->capture_default_str();
  }
  teardown->add_flag("-y,--yes", teardown_flags->yes,
                     "Without contexts: delete without asking (needed when stdin is not a terminal)");
  leave->callback(
      [&app, f = leave_flags] { run_and_finish([&]() -> Result<int> { return run(app, *f, false); }); });
  teardown->callback(
      [&app, f = teardown_flags] { run_and_finish([&]() -> Result<int> { return run(app, *f, true); }); });
}

}  // namespace meshctl::cli
