// The man page, generated from the command tree (hidden command `meshctl
// __man`, run at build time), so it lists exactly the commands and flags
// that exist.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace meshctl::cli {

std::string man_page(const CLI::App& root);

}  // namespace meshctl::cli
