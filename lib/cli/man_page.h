// The man page, generated from the command tree (hidden command `meshctl
// __man`, run at build time), so it lists exactly the commands and flags
// that exist.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cli/session.h"

namespace meshctl::cli {

std::string man_page(const CLI::App& root);

// The hidden `meshctl __man`: prints man_page(root) (the build installs it).
void add_man_command(CLI::App& root, Session& session);

}  // namespace meshctl::cli
