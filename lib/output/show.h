// The one print dispatch: each command's report shown as the user asked
// (-o table|wide|json|yaml, colours or not), the answer on stdout, its
// problems, warnings and the one-line verdict of a failure on stderr
// (redacted). Each returns the command's exit code.
#pragma once

#include <string>
#include <vector>

#include "mesh/contexts.h"
#include "mesh/federate.h"
#include "mesh/join.h"
#include "mesh/render.h"
#include "mesh/rotate.h"
#include "mesh/status.h"
#include "mesh/teardown.h"
#include "output/reports.h"
#include "output/terminal.h"

namespace meshctl::output {

struct View {
  Format format = Format::table;
  TerminalStyle style;
  bool structured() const { return format == Format::json || format == Format::yaml; }
};

int show(const mesh::JoinReport& report, const View& view);
int show(const mesh::StatusReport& report, const View& view);
int show(const mesh::TeardownReport& report, const View& view);
int show(const mesh::RotateReport& report, const View& view);
int show(const mesh::FederateReport& report, const mesh::FederateOptions& options, const View& view);
int show(const mesh::UnfederateReport& report, const View& view);
// render -o yaml|json and join --dry-run=client; FILL_COMMAND is the command
// that renders the same objects with credentials, named by each placeholder.
int show(const mesh::RenderReport& report, const View& view, const std::string& fill_command);
// render --out-dir: the files, then one line per cluster on stdout.
Result<int> write(const mesh::RenderReport& report, const std::string& dir, const std::string& fill_command);
int show(const mesh::ContextList& list, const View& view);

// meshctl version: the client's build, and the server's when asked.
struct VersionInfo {
  std::string client, git_describe, commit, build_date;
  std::string server;  // empty: not asked
};
int show(const VersionInfo& version, const View& view);

// Teardown's confirmation: what would be deleted, on stderr above the prompt.
// Returns how many objects it would delete.
size_t show_preview(const mesh::TeardownReport& preview, const View& view);

}  // namespace meshctl::output
