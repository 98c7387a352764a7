// Views of the mesh reports: tables for people, JSON/YAML for scripts. The
// JSON shapes are documented in docs/output.md and kept stable
// (apiVersion meshctl.projectcalico.org/v1alpha1).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "mesh/join.h"
#include "mesh/status.h"
#include "mesh/teardown.h"
#include "output/terminal.h"

namespace meshctl::output {

using Json = nlohmann::json;

// name: one name per line, for scripts and shell completion (contexts only).
enum class Format { table, wide, json, yaml, name };
// "table", "wide", "json", "yaml", "name"; Errc::usage otherwise.
Result<Format> parse_format(const std::string& text);

Json join_json(const mesh::JoinReport& report);
Json status_json(const mesh::StatusReport& report);
Json teardown_json(const mesh::TeardownReport& report);

std::string join_table(const mesh::JoinReport& report, const TerminalStyle& style, Format format);
// For stderr (the caller redacts): one line per preflight problem, each
// saying nothing was written; after an interruption, what was and was not
// written, by name, and that a re-run finishes it.
std::string join_problem_lines(const mesh::JoinReport& report);
// Refusals before anything was written, as JSON: [{cluster, reason, message, hint}].
Json problems_json(const std::vector<mesh::ClusterProblem>& problems);
std::string preflight_problem_lines(const std::vector<mesh::ClusterProblem>& problems);
std::string join_interrupt_summary(const mesh::JoinReport& report);
std::string status_table(const mesh::StatusReport& report, const TerminalStyle& style, Format format);
// What keeps the mesh from healthy, in one line: "fra unreachable; 2 of 6
// links not healthy: iad <- pdx connecting, ..." (status --wait's progress, and
// status's stderr line when it exits non-zero).
std::string status_unhealthy_summary(const mesh::StatusReport& report);
std::string teardown_table(const mesh::TeardownReport& report, const TerminalStyle& style);

// JSON or YAML text of a document (for -o json|yaml).
std::string serialize(const Json& document, Format format);

}  // namespace meshctl::output
