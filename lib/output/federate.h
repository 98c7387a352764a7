// Views of federate / unfederate (mesh/federate.h): the FederateResult and
// UnfederateResult documents (docs/output.md) and their tables.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "mesh/federate.h"
#include "output/terminal.h"

namespace meshctl::output {

nlohmann::json federate_json(const mesh::FederateReport& report, const mesh::FederateOptions& options);
std::string federate_table(const mesh::FederateReport& report, const TerminalStyle& style);
nlohmann::json unfederate_json(const mesh::UnfederateReport& report);
std::string unfederate_table(const mesh::UnfederateReport& report);

}  // namespace meshctl::output
