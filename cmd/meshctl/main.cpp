// meshctl: the command tree and its global flags.
#include "cli/completion.h"
#include "cli/man_page.h"
#include "cli/program_name.h"
#include "cli/usage.h"
#include "commands.h"

int main(int argc, char** argv) {
  using namespace meshctl::cli;
  begin(argc, argv);
  Session session;
  CLI::App root{
      "meshctl connects Kubernetes clusters into a Calico Enterprise / Calico Cloud cluster mesh.\n"
      "It reads your kubeconfig (never writes it), creates the federation identity, RBAC, Secrets\n"
      "and RemoteClusterConfigurations per directed link, and proves each link through Typha.",
      program_display()};
  root.require_subcommand(1);
  root.fallthrough();
  add_global_flags(root, session);
  for (auto add : {add_version_command, add_contexts_command, add_join_command, add_render_command,
                   add_rotate_command, add_status_command, add_teardown_commands, add_federate_commands,
                   add_completion_command, add_man_command})
    add(root, session);
  return run_command_line(root, argc, argv);
}
