#include "cli.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace meshctl::cli {

int run(int argc, char** argv) {
  CLI::App app{"meshctl connects Kubernetes clusters into a Calico cluster mesh", "meshctl"};
  app.require_subcommand(1);
  auto* version = app.add_subcommand("version", "Print the client version");
  version->callback([] { fmt::print("meshctl {}\n", MESHCTL_VERSION); });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return 0;
}

}  // namespace meshctl::cli
