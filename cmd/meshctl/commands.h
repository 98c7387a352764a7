// The commands of meshctl, one add_* per file: each binds its flags into the
// lib/mesh options, runs the lib/mesh operation and shows the report through
// lib/output. Nothing else lives in cmd/.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/session.h"

namespace meshctl::cli {

void add_version_command(CLI::App& root, Session& session);
void add_contexts_command(CLI::App& root, Session& session);
void add_join_command(CLI::App& root, Session& session);
void add_render_command(CLI::App& root, Session& session);
void add_rotate_command(CLI::App& root, Session& session);
void add_status_command(CLI::App& root, Session& session);
void add_teardown_commands(CLI::App& root, Session& session);
void add_federate_commands(CLI::App& root, Session& session);

}  // namespace meshctl::cli
