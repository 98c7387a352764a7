#include "app.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>

#include "output/errors.h"
#include "program_name.h"
#include "util/duration.h"
#include "util/log.h"

namespace meshctl::cli {

void App::prepare() {
  log::set_level(flags.verbosity >= 2   ? log::Level::debug
                 : flags.verbosity == 1 ? log::Level::info
                                        : log::Level::warn);
  style = output::detect_style(flags.no_color);
}

void finish(int code) {
  throw CLI::RuntimeError(code);
}

Result<kube::Kubeconfig> App::load_kubeconfig() const {
  return kube::load_kubeconfig(kube::load_options_from_environment(flags.kubeconfig));
}

kube::ClientOptions App::client_options() const {
  kube::ClientOptions options;
  if (auto timeout = parse_duration(flags.request_timeout))  // checked by duration_check()
    options.request_timeout = *timeout;
  options.user_agent = std::string("meshctl/") + MESHCTL_VERSION;
  options.exec.stdin_is_terminal = isatty(STDIN_FILENO) != 0;
  return options;
}

mesh::ProgressFn App::progress() const {
  // A line per step of each cluster on stderr (stdout stays the result): in
  // colour on a terminal, plain in CI logs; a step that repeats itself (a
  // wait loop polling) is shown once. --quiet drops them.
  struct State {
    std::mutex mutex;
    std::map<std::string, std::string, std::less<>> last;  // cluster -> last message
  };
  auto state = std::make_shared<State>();
  bool show = !flags.quiet;
  auto style_copy = output::on_stderr(style);
  return [show, state, style_copy](std::string_view cluster, std::string_view message) {
    if (!show)
      return;
    std::lock_guard lock(state->mutex);
    auto [at, fresh] = state->last.try_emplace(std::string(cluster), message);
    if (!fresh && at->second == message)
      return;
    at->second = message;
    std::string line = fmt::format(
        "{} {}", output::paint(style_copy, output::Tone::dim, fmt::format("[{}]", cluster)), message);
    std::fprintf(stderr, "%s\n", log::redact(line).c_str());
  };
}

namespace {

std::atomic<bool> g_stderr_written{false};

ssize_t write_to_stderr(void*, const char* buffer, size_t size) {
  if (size > 0)
    g_stderr_written = true;
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::write(STDERR_FILENO, buffer + done, size - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return done > 0 ? static_cast<ssize_t>(done) : -1;
    done += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(done);
}

}  // namespace

void watch_stderr() {
  cookie_io_functions_t io{nullptr, write_to_stderr, nullptr, nullptr};
  FILE* watched = fopencookie(nullptr, "w", io);
  if (watched == nullptr)
    return;  // stderr stays as it was; only the last-line guarantee is lost
  setvbuf(watched, nullptr, _IONBF, 0);
  stderr = watched;
}

bool stderr_written() {
  return g_stderr_written;
}

bool stdin_and_stderr_are_terminals() {
  return isatty(STDIN_FILENO) != 0 && isatty(STDERR_FILENO) != 0;
}

bool ask_yes_no(const std::string& question) {
  std::fprintf(stderr, "%s [y/N] ", question.c_str());
  std::fflush(stderr);
  std::string answer;
  if (!std::getline(std::cin, answer))
    return false;
  for (auto& c : answer)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return answer == "y" || answer == "yes";
}

void add_dry_run_flag(CLI::App& cmd, std::string& mode, const std::string& description,
                      bool client_possible) {
  // A flag, not an option: a bare --dry-run must not take the next context
  // as its value, so a mode is given as --dry-run=MODE, as kubectl has it.
  cmd.add_flag("--dry-run", mode,
               description + (client_possible ? " (--dry-run=server|client|none, as kubectl)"
                                              : " (--dry-run=server|none; the clusters must be read)"));
}

Result<DryRun> parse_dry_run(const std::string& command, const std::string& mode, bool client_possible) {
  if (mode.empty() || mode == "none" || mode == "false")
    return DryRun::none;
  if (mode == "server" || mode == "true")  // "true": the bare flag
    return DryRun::server;
  if (mode != "client")
    return Error(Errc::usage, "--dry-run=" + mode + " is not a dry-run mode",
                 "use --dry-run=server or client");
  if (!client_possible) {
    return Error(Errc::usage,
                 command +
                     " --dry-run=client is not possible: what it changes depends on what the "
                     "clusters hold",
                 "use --dry-run (server): it reads the clusters and changes nothing");
  }
  return DryRun::client;
}

std::vector<std::string> ContextArgs::all() const {
  std::vector<std::string> out = positional;
  out.insert(out.end(), flagged.begin(), flagged.end());
  return out;
}

void add_context_args(CLI::App& cmd, ContextArgs& args, const std::string& description) {
  cmd.add_option("clusters", args.positional, description);
  cmd.add_option("--context", args.flagged, "The same, as a flag (repeatable): --context iad --context pdx");
}

CLI::Validator duration_check() {
  return CLI::Validator(
      [](std::string& text) {
        auto parsed = parse_duration(text);
        return parsed ? std::string() : parsed.error().message + " (" + parsed.error().hint + ")";
      },
      "DURATION");
}

int fail(const Error& error) {
  std::fputs(log::redact(as_typed(output::error_lines(error))).c_str(), stderr);
  return exit_code(outcome_of(error.code));
}

}  // namespace meshctl::cli
