// meshctl rotate [CTX...]
#include <fmt/format.h>

#include "app.h"
#include "calico/names.h"
#include "mesh/discovery.h"
#include "mesh/rotate.h"
#include "output/rotate.h"
#include "util/duration.h"
#include "util/log.h"

namespace meshctl::cli {
namespace {

struct RotateFlags {
  ContextArgs clusters;
  std::string federation_namespace;
  std::string secret_namespace{calico::kCalicoNamespace};
  std::string token_ttl = "8760h";
  std::string token_wait = "60s";
  std::string timeout = "3m";
  std::string dry_run;  // DryRun
  bool include_adopted = false;
  bool force = false;
  bool force_conflicts = false;
  std::string output = "table";
};

Result<mesh::RotateOptions> to_options(const RotateFlags& f) {
  mesh::RotateOptions o;
  if (!f.federation_namespace.empty()) {
    o.join.federation_namespace = f.federation_namespace;
    o.join.federation_namespace_given = true;
  }
  o.join.secret_namespace = f.secret_namespace;
  TRY_ASSIGN(o.join.token_ttl, parse_duration_seconds(f.token_ttl));
  TRY_ASSIGN(o.join.token_fill_timeout, parse_duration_seconds(f.token_wait));
  TRY_ASSIGN(o.join.timeout, parse_duration_seconds(f.timeout));
  TRY_ASSIGN(auto dry_run, parse_dry_run("rotate", f.dry_run, false));
  o.join.dry_run = dry_run == DryRun::server;
  o.include_adopted = f.include_adopted;
  o.force = f.force;
  o.join.force_conflicts = f.force_conflicts;
  o.every_context = f.clusters.all().empty();
  return o;
}

Result<int> run_rotate_command(App& app, const RotateFlags& f) {
  app.prepare();
  TRY_ASSIGN(auto format, output::parse_format(f.output));
  TRY_ASSIGN(auto options, to_options(f));
  TRY_ASSIGN(auto config, app.load_kubeconfig());
  TRY_ASSIGN(auto rotated, mesh::open_named(config, f.clusters.all(), app.client_options()));
  std::vector<mesh::Member> named;
  for (const auto& c : rotated)
    named.push_back(c.member);
  auto others = mesh::open_all_contexts(config, named, app.client_options());
  if (f.clusters.all().empty())
    std::swap(rotated, others);  // every context is rotated, and searched for links
  options.join.request_timeout =
      std::min(app.client_options().request_timeout, std::chrono::milliseconds(10000));

  auto report = mesh::run_rotate(rotated, others, options, app.progress());
  std::fputs(log::redact(output::rotate_problem_lines(report)).c_str(), stderr);
  for (const auto& w : report.warnings)
    log::warn("{}", w);
  if (format == output::Format::json || format == output::Format::yaml)
    fmt::print("{}", output::serialize(output::rotate_json(report), format));
  else if (report.problems.empty())
    fmt::print("{}", log::redact(output::rotate_table(report, app.style)));
  return exit_code(report.outcome());
}

}  // namespace

void add_rotate_command(CLI::App& root, App& app) {
  auto f = std::make_shared<RotateFlags>();
  auto* cmd = root.add_subcommand(
      "rotate", "Give clusters a new federation credential, hand it to every peer, then revoke the old one");
  cmd->footer(
      "\nFor each CTX (default: every context of the kubeconfig): a new federation token Secret (generation\n"
      "N+1) is issued, every context holding a meshctl link to it gets the new token, each of those links\n"
      "must be reported in sync by the peer's Typha, and only then are the older token Secrets deleted.\n"
      "Until then both credentials are valid, so no link breaks, and an interrupted rotation is finished by\n"
      "running the same command again. Peers that store bound tokens (join --token bound) get a fresh one;\n"
      "bound tokens cannot be revoked one by one and expire on their own. An old token Secret meshctl took\n"
      "over from the documented procedure is released, not deleted, unless --include-adopted.\n\n"
      "Examples:\n"
      "  meshctl rotate iad              # iad's credential; its peers are found in the kubeconfig\n"
      "  meshctl rotate --dry-run        # what rotating every cluster would change\n"
      "  meshctl rotate iad pdx -o json");
  add_context_args(*cmd, f->clusters, "Clusters whose credential is rotated: CTX or NAME=CTX");
  cmd->add_option("--namespace", f->federation_namespace,
                  "Namespace of the federation ServiceAccount (default calico-system, or kube-system where "
                  "older manifests made it)");
  cmd->add_option("--secret-namespace", f->secret_namespace, "Namespace of the per-link Secrets")
      ->capture_default_str();
  cmd->add_option("--token-ttl", f->token_ttl, "Lifetime of new bound tokens")
      ->check(duration_check())
      ->capture_default_str();
  cmd->add_option("--token-wait", f->token_wait, "How long to wait for the token controller to fill a token")
      ->check(duration_check())
      ->capture_default_str();
  cmd->add_option("--timeout", f->timeout, "How long to wait for every link to be in sync with the new token")
      ->check(duration_check())
      ->capture_default_str();
  add_dry_run_flag(*cmd, f->dry_run, "Show what would change (server-side dry run); change nothing", false);
  cmd->add_flag("--include-adopted", f->include_adopted,
                "Delete an old token Secret meshctl took over instead of releasing it");
  cmd->add_flag("--force", f->force, "Revoke even when some context of the kubeconfig could not be searched");
  cmd->add_flag("--force-conflicts", f->force_conflicts,
                "Take over a link Secret's fields another field manager owns (e.g. applied by a GitOps tool, "
                "which would then put the old token back: re-render instead)");
  cmd->add_option("-o,--output", f->output, "table|json|yaml")->capture_default_str();
  cmd->callback([&app, f] { run_and_finish([&]() -> Result<int> { return run_rotate_command(app, *f); }); });
}

}  // namespace meshctl::cli
