// meshctl version, contexts, completion, and the hidden __man.
#include <fmt/format.h>

#include "cli/completion.h"
#include "cli/flags.h"
#include "cli/man_page.h"
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
  cmd->footer("\nExamples:\n  meshctl version\n  meshctl version -o json\n  meshctl version --context iad");
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
    std::string output = "table";
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = root.add_subcommand(
      "contexts",
      "List kubeconfig contexts with their server and kind of credentials; --check tries each one");
  cmd->footer(
      "\nExamples:\n  meshctl contexts\n  meshctl contexts --check      # runs login plugins, asks each "
      "server"
      "\n  meshctl contexts -o name");
  cmd->add_flag("--check", f->check,
                "Connect to every context (in parallel) and check that it authenticates");
  cmd->add_option("-o,--output", f->output, "table|json|yaml|name");
  on_run(cmd, session, [&session, f]() -> Result<int> {
    TRY_ASSIGN(auto config, session.load_kubeconfig());
    if (f->output == "name") {  // for shell completion and scripts
      for (const auto& c : config.contexts())
        fmt::print("{}\n", c.name);
      return exit_code(Outcome::ok);
    }
    TRY_ASSIGN(auto format, output::parse_format(f->output));
    return output::show(
        mesh::inspect_contexts(config, f->check ? mesh::ContextProbe::connect : mesh::ContextProbe::none,
                               session.quick_look_client_options()),
        session.view(format));
  });
}

void add_completion_command(CLI::App& root, Session& session) {
  auto shell = std::make_shared<std::string>();
  auto* cmd = root.add_subcommand("completion", "Print a shell completion script (bash, zsh, fish)");
  cmd->footer(
      "\nExamples:\n  source <(meshctl completion bash)\n  source <(meshctl completion zsh)\n"
      "  meshctl completion fish | source\n"
      "  meshctl completion zsh > \"${fpath[1]}/_meshctl\"   # once, for every new shell\n\n"
      "As the kubectl plugin (kubectl meshctl), completion comes through kubectl 1.26+ and the\n"
      "kubectl_complete-meshctl script installed beside meshctl (on PATH); no script to load.");
  cmd->add_option("shell", *shell, "bash|zsh|fish")->required();
  on_run(cmd, session, [shell]() -> Result<int> {
    TRY_ASSIGN(auto script, completion_script(*shell));
    fmt::print("{}", script);
    return 0;
  });
}

void add_man_command(CLI::App& root, Session& session) {
  auto* cmd = root.add_subcommand("__man", "");
  cmd->group("");
  on_run(cmd, session, [&root]() -> Result<int> {
    fmt::print("{}", man_page(root));
    return 0;
  });
}

}  // namespace meshctl::cli
