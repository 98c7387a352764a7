// meshctl federate SERVICE -n NS [CTX...] and meshctl unfederate SERVICE -n NS [CTX...]
#include "cli/flags.h"
#include "cli/help.h"
#include "commands.h"
#include "mesh/discovery.h"
#include "mesh/federate.h"

namespace meshctl::cli {
namespace {

struct FederateFlags {
  mesh::FederateOptions options;
  std::string selector;
  ContextArgs clusters;
  std::vector<std::string> in;
  output::Format format = output::Format::table;
};

enum class Verb { federate, unfederate };

Result<int> run(Session& session, FederateFlags& f, Verb verb) {
  mesh::FederateOptions& options = f.options;
  TRY(mesh::complete_options(options, f.selector));
  TRY_ASSIGN(auto config, session.load_kubeconfig());
  TRY_ASSIGN(auto clusters, mesh::open_or_discover(config, f.clusters.all(), session.client_options()));
  if (verb == Verb::unfederate)
    return output::show(mesh::run_unfederate(clusters, options), session.view(f.format));
  TRY_ASSIGN(options.targets, mesh::resolve_targets(f.in, clusters));
  return output::show(mesh::run_federate(clusters, options, session.progress()), options,
                      session.view(f.format));
}

CLI::App* add_command(CLI::App& root, Session& session, Verb verb, const std::string& name,
                      const std::string& summary) {
  auto f = std::make_shared<FederateFlags>();
  auto* cmd = root.add_subcommand(name, summary);
  cmd->add_option("service", f->options.service,
                  "The backing Service (same name in every cluster that has it)")
      ->required();
  add_context_args(*cmd, f->clusters,
                   "Member contexts (CTX or NAME=CTX); default: every context of the mesh");
  cmd->add_option("-n,--namespace", f->options.namespace_, "Namespace of the backing Service (required)")
      ->required();
  cmd->add_option("--name", f->options.name, "Name of the federated Service (default: SERVICE-federated)");
  cmd->add_option("--selector", f->selector,
                  "KEY=VALUE label on the backing Services that the federated Service selects (default: "
                  "meshctl.projectcalico.org/federated-as=NAME)");
  add_dry_run_flag(*cmd, f->options.dry_run, "Ask the API servers, change nothing");
  add_output_flag(*cmd, f->format, "table|json|yaml");
  if (verb == Verb::federate) {
    cmd->add_option("--in", f->in, "Create the federated Service only in these members (repeatable)");
    cmd->add_flag("--wait,!--no-wait", f->options.wait,
                  "Wait until every cluster's endpoints are listed (default), or --no-wait");
    add_duration_flag(*cmd, "--timeout", f->options.timeout, "Limit of the wait", "2m");
  }
  on_run(cmd, session, [&session, f, verb] { return run(session, *f, verb); });
  return cmd;
}

}  // namespace

void add_federate_commands(CLI::App& root, Session& session) {
  add_command(root, session, Verb::federate, "federate",
              "Make a Service answer from every cluster of the mesh")
      ->footer(long_help("federate"));
  add_command(root, session, Verb::unfederate, "unfederate", "Remove what federate made, and nothing else")
      ->footer(long_help("unfederate"));
}

}  // namespace meshctl::cli
