// Views of a rotation (mesh/rotate.h): a table per rotated cluster and its
// peers' links, and the RotateResult document (docs/output.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "mesh/rotate.h"
#include "output/terminal.h"

namespace meshctl::output {

nlohmann::json rotate_json(const mesh::RotateReport& report);
std::string rotate_table(const mesh::RotateReport& report, const TerminalStyle& style);
// Unsearched contexts (cause and fix), then the run's own warnings: one line each.
std::vector<std::string> rotate_warnings(const mesh::RotateReport& report);
// For stderr: one line per refusal (nothing was changed).
std::string rotate_problem_lines(const mesh::RotateReport& report);

}  // namespace meshctl::output
