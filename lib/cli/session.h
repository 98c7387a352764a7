// Shared wiring for the subcommands: global flags, loading the kubeconfig,
// turning errors into one line and an exit code, progress output.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "mesh/cluster.h"
#include "mesh/options.h"
#include "output/reports.h"
#include "output/terminal.h"
#include "util/outcome.h"

namespace meshctl::cli {

struct GlobalFlags {
  std::string kubeconfig;
  int verbosity = 0;
  bool no_color = false;
  bool quiet = false;  // no progress lines
  std::string request_timeout = "30s";
};

struct App {
  GlobalFlags flags;
  output::TerminalStyle style;

  // Applies the global flags (log level, colours); every command calls it first.
  void prepare();
  Result<kube::Kubeconfig> load_kubeconfig() const;
  kube::ClientOptions client_options() const;
  mesh::ProgressFn progress() const;
};

// The clusters of a command: positional CTX arguments and, as kubectl users
// type them, `--context CTX` (repeatable); positional ones first.
struct ContextArgs {
  std::vector<std::string> positional, flagged;
  std::vector<std::string> all() const;
};
void add_context_args(CLI::App& cmd, ContextArgs& args, const std::string& description);

// Whether a person is at the keyboard (confirmation prompts need both ends).
bool stdin_and_stderr_are_terminals();
// Asks on stderr, reads one line from stdin; only "y" or "yes" is a yes.
bool ask_yes_no(const std::string& question);

// kubectl's --dry-run: "server" (also the bare flag: meshctl's dry runs ask
// the API server), "client" (no API call; join only) or "none".
enum class DryRun { none, server, client };
void add_dry_run_flag(CLI::App& cmd, std::string& mode, const std::string& description, bool client_possible);
// Errc::usage for an unknown mode, or "client" where the command cannot
// answer without reading the clusters.
Result<DryRun> parse_dry_run(const std::string& command, const std::string& mode, bool client_possible);

// Routes stderr through a stream that notes whether meshctl wrote to it, so
// that every non-zero exit can be sure to leave at least one line there.
void watch_stderr();
bool stderr_written();

// Ends a command's callback with this exit code (CLI11 carries it to run()).
[[noreturn]] void finish(int code);

// Runs a command body returning Result<int> and ends with its exit code.
template <class Fn>
void run_and_finish(Fn&& fn);

// A CLI11 check for duration flags (util/duration.h): a bad value is a usage
// error naming the flag, never silently replaced by the default.
CLI::Validator duration_check();

// Prints output::error_lines (redacted) on stderr; returns the error's exit
// code (util/outcome.h).
int fail(const Error& error);

void add_version_command(CLI::App& root, App& app);
void add_contexts_command(CLI::App& root, App& app);
void add_join_command(CLI::App& root, App& app);
void add_render_command(CLI::App& root, App& app);
void add_rotate_command(CLI::App& root, App& app);
void add_status_command(CLI::App& root, App& app);
void add_teardown_commands(CLI::App& root, App& app);
void add_federate_commands(CLI::App& root, App& app);
void add_completion_command(CLI::App& root, App& app);
void add_man_command(CLI::App& root, App& app);

// `meshctl __complete WORDS...` (the shells' completion scripts and kubectl's
// plugin completion call it): candidates in cobra's protocol. Answered before
// parsing, as the words are an unfinished command line.
inline constexpr const char* kCompletionEngine = "__complete";
int answer_completion(const CLI::App& root, const std::vector<std::string>& words);

// The exit-code table every help page and the man page end with.
std::string exit_codes_text();

template <class Fn>
void run_and_finish(Fn&& fn) {
  Result<int> code = fn();
  finish(code ? *code : fail(code.error()));
}

}  // namespace meshctl::cli
