// The command line as a whole: kubectl's argument habits, mistakes answered
// in one line with a "did you mean", help pages that end with the global
// flags and the exit codes, and the parse that runs the chosen command.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace meshctl::cli {

// Before the command tree is built: signal handling (an interrupt always ends
// in the documented report and exit 130), the stderr watch, and how the user
// runs meshctl (itself or as the kubectl plugin).
void begin(int argc, char** argv);

// Parses ARGV against ROOT and runs the command it names (or answers the
// completion engine); returns the process exit code.
int run_command_line(CLI::App& root, int argc, char** argv);

// The exit-code table every help page and the man page end with.
std::string exit_codes_text();

}  // namespace meshctl::cli
