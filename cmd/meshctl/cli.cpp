#include "cli.h"

#include <curl/curl.h>

#include <CLI/CLI.hpp>

#include "app.h"
#include "util/interrupt.h"
#include "util/log.h"

namespace meshctl::cli {
namespace {

constexpr const char* kExitCodes = R"(Exit codes:
  0    success (join: every link in sync; status: the whole mesh is healthy)
  1    an operation failed (a write or delete was refused)
  2    usage or configuration error (flags, kubeconfig)
  3    a link is not in sync (join --wait, status)
  4    a cluster is unreachable or refuses the credentials (join: also
       when one is lost mid-run)
  5    a precondition failed (missing API or namespace, missing permission,
       duplicate cluster) or mesh objects are missing or wrong
  6    only stale failures: Typha reported a failure after being in sync
       and never reports recovery; restart Typha to re-verify
  130  interrupted)";

}  // namespace

int run(int argc, char** argv) {
  // First of all: a SIGINT/SIGTERM that arrives while the command tree is
  // being built must still end in the documented report and exit 130, not
  // in the default action (death by signal, 143 for SIGTERM).
  install_interrupt_handler();
  App app;
  CLI::App root{
      "meshctl connects Kubernetes clusters into a Calico Enterprise / Calico Cloud cluster mesh.\n"
      "It reads your kubeconfig (never writes it), creates the federation identity, RBAC, Secrets\n"
      "and RemoteClusterConfigurations per directed link, and proves each link through Typha.",
      "meshctl"};
  root.footer(std::string("\nExamples:\n  meshctl join iad pdx fra\n  meshctl status -o json\n"
                          "  meshctl leave fra\n\n") +
              kExitCodes);
  root.require_subcommand(1);
  root.fallthrough();
  root.add_option("--kubeconfig", app.flags.kubeconfig,
                  "Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)");
  root.add_flag("-v,--verbose", app.flags.verbosity, "More detail on stderr (repeat for API requests)");
  root.add_flag("--no-color", app.flags.no_color, "No colours (also when NO_COLOR is set)");
  root.add_option("--request-timeout", app.flags.request_timeout, "Timeout of a single API request")
      ->check(duration_check())
      ->capture_default_str();

  add_version_command(root, app);
  add_contexts_command(root, app);
  add_join_command(root, app);
  add_render_command(root, app);
  add_rotate_command(root, app);
  add_status_command(root, app);
  add_teardown_commands(root, app);
  add_completion_command(root, app);

  curl_global_init(CURL_GLOBAL_DEFAULT);
  int code = 0;
  try {
    root.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return root.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return root.exit(e);
  } catch (const CLI::RuntimeError& e) {
    code = e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    root.exit(e);
    return exit_code(Outcome::usage);
  }
  curl_global_cleanup();
  return code;
}

}  // namespace meshctl::cli
