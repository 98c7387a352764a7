#include "cli/session.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>

#include "cli/flags.h"
#include "cli/program_name.h"
#include "output/errors.h"
#include "util/log.h"

namespace meshctl::cli {

void Session::prepare() {
  log::set_level(flags.verbosity >= 2   ? log::Level::debug
                 : flags.verbosity == 1 ? log::Level::info
                                        : log::Level::warn);
  style = output::detect_style(flags.no_color);
}

void finish(int code) {
  throw CLI::RuntimeError(code);
}

Result<kube::Kubeconfig> Session::load_kubeconfig() const {
  return kube::load_kubeconfig(kube::load_options_from_environment(flags.kubeconfig));
}

kube::ClientOptions Session::client_options() const {
  kube::ClientOptions options;
  options.request_timeout = flags.request_timeout;
  options.user_agent = std::string("meshctl/") + MESHCTL_VERSION;
  options.exec.stdin_is_terminal = isatty(STDIN_FILENO) != 0;
  return options;
}

kube::ClientOptions Session::quick_look_client_options() const {
  auto options = client_options();
  options.request_timeout = std::min(options.request_timeout, std::chrono::milliseconds(10000));
  options.connect_timeout = std::min(options.connect_timeout, options.request_timeout);
  options.max_retries = 1;
  return options;
}

mesh::ProgressFn Session::progress() const {
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

std::function<bool(const mesh::TeardownReport&)> ask_before_deleting(const output::View& view) {
  return [view](const mesh::TeardownReport& preview) {
    const size_t deletes = output::show_preview(preview, view);
    return deletes == 0 || ask_yes_no(fmt::format("Delete these {} objects in the contexts above?", deletes));
  };
}

void add_global_flags(CLI::App& root, Session& session) {
  GlobalFlags& f = session.flags;
  root.add_option("--kubeconfig", f.kubeconfig,
                  "Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
      ->type_name("FILE");
  root.add_flag("-v,--verbose", f.verbosity, "More detail on stderr (repeat for API requests)");
  root.add_flag("--no-color", f.no_color, "No colours (also when NO_COLOR is set)");
  root.add_flag("-q,--quiet", f.quiet, "No progress lines on stderr (results, warnings and errors stay)");
  add_duration_flag(root, "--request-timeout", f.request_timeout, "Timeout of a single API request", "30s");
}

int fail(const Error& error) {
  std::fputs(log::redact(as_typed(output::error_lines(error))).c_str(), stderr);
  return exit_code(outcome_of(error.code));
}

}  // namespace meshctl::cli
