// meshctl version and contexts.
#include <fmt/format.h>

#include "cli/flags.h"
#include "cli/help.h"
#include "commands.h"
#include "mesh/contexts.h"

namespace meshctl::cli {

void add_version_command(CLI::App& root, Session& session) {
  struct Flags {
    std::string context;
    output::Format format = output::Format::table;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = root.add_subcommand("version", "Print meshctl's version (and a cluster's, with --context)");
  cmd->footer(long_help("version"));
  cmd->add_option("--context", f->context, "Also ask this context's API server for its version");
  add_output_flag(*cmd, f->format, "table|json|yaml");
  on_run(cmd, session, [&session, f]() -> Result<int> {
    output::VersionInfo version{MESHCTL_VERSION, MESHCTL_GIT_DESCRIBE, MESHCTL_GIT_COMMIT, MESHCTL_BUILD_DATE,
                                ""};
    if (!f->context.empty()) {
      TRY_ASSIGN(auto config, session.load_kubeconfig());
      TRY_ASSIGN(version.server, mesh::server_version(config, f->context, session.client_options()));
    }
    return output::show(version, session.view(f->format));
  });
}

void add_contexts_command(CLI::App& root, Session& session) {
  struct Flags {
    bool check = false;
    output::Format format = output::Format::table;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = root.add_subcommand(
      "contexts",
      "List kubeconfig contexts with their server and kind of credentials; --check tries each one");
  cmd->footer(long_help("contexts"));
  cmd->add_flag("--check", f->check,
                "Connect to every context (in parallel) and check that it authenticates");
  add_output_flag(*cmd, f->format, "table|json|yaml|name");
  on_run(cmd, session, [&session, f]() -> Result<int> {
    TRY_ASSIGN(auto config, session.load_kubeconfig());
    return output::show(
        mesh::inspect_contexts(config, f->check ? mesh::ContextProbe::connect : mesh::ContextProbe::none,
                               session.quick_look_client_options()),
        session.view(f->format));
  });
}

}  // namespace meshctl::cli
