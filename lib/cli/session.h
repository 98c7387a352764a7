// What every command shares: the global flags, the kubeconfig they name, the
// API client options they imply, progress lines on stderr, and how a command
// ends (one error line on stderr, its exit code).
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <functional>
#include <string>

#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "mesh/options.h"
#include "mesh/teardown.h"
#include "output/show.h"
#include "util/outcome.h"

namespace meshctl::cli {

struct GlobalFlags {
  std::string kubeconfig;
  int verbosity = 0;
  bool no_color = false;
  bool quiet = false;  // no progress lines
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
};

struct Session {
  GlobalFlags flags;
  output::TerminalStyle style;

  // Applies the global flags (log level, colours); every command runs it first.
  void prepare();
  Result<kube::Kubeconfig> load_kubeconfig() const;
  kube::ClientOptions client_options() const;
  // For a quick look (status, contexts --check): one cluster that does not
  // answer must not hang it, so every request is bounded by
  // min(--request-timeout, 10s) and retried once.
  kube::ClientOptions quick_look_client_options() const;
  mesh::ProgressFn progress() const;
  output::View view(output::Format format) const { return {format, style}; }
};

// --kubeconfig, -v, --no-color, -q, --request-timeout.
void add_global_flags(CLI::App& root, Session& session);

// Routes stderr through a stream that notes whether meshctl wrote to it, so
// that every non-zero exit can be sure to leave at least one line there.
void watch_stderr();
bool stderr_written();

// Whether a person is at the keyboard (confirmation prompts need both ends).
bool stdin_and_stderr_are_terminals();
// Asks on stderr, reads one line from stdin; only "y" or "yes" is a yes.
bool ask_yes_no(const std::string& question);
// Teardown's question: the preview's table on stderr, then "Delete these N
// objects ...?" (no delete to confirm needs no yes).
std::function<bool(const mesh::TeardownReport&)> ask_before_deleting(const output::View& view);

// Prints output::error_lines (redacted) on stderr; returns the error's exit
// code (util/outcome.h).
int fail(const Error& error);

// Ends a command's callback with this exit code (CLI11 carries it to the
// parser's caller).
[[noreturn]] void finish(int code);

// Makes BODY (returning Result<int>) the command's action: the session is
// prepared first, and an error becomes its line and exit code.
template <class Fn>
void on_run(CLI::App* cmd, Session& session, Fn body) {
  cmd->callback([&session, body] {
    session.prepare();
    Result<int> code = body();
    finish(code ? *code : fail(code.error()));
  });
}

}  // namespace meshctl::cli
