#include "app.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>
#include <set>

#include "output/errors.h"
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
  if (auto timeout = parse_duration(flags.request_timeout))
    options.request_timeout = *timeout;
  options.user_agent = std::string("meshctl/") + MESHCTL_VERSION;
  options.exec.stdin_is_terminal = isatty(STDIN_FILENO) != 0;
  return options;
}

mesh::ProgressFn App::progress() const {
  // Progress is for people: on a terminal always, otherwise only with -v.
  bool show = style.progress || flags.verbosity > 0;
  auto mutex = std::make_shared<std::mutex>();
  auto style_copy = style;
  return [show, mutex, style_copy](std::string_view cluster, std::string_view message) {
    if (!show)
      return;
    std::lock_guard lock(*mutex);
    std::string line = fmt::format(
        "{} {}", output::paint(style_copy, output::Tone::dim, fmt::format("[{}]", cluster)), message);
    std::fprintf(stderr, "%s\n", log::redact(line).c_str());
  };
}

int fail(const Error& error) {
  std::fputs(log::redact(output::error_lines(error)).c_str(), stderr);
  return exit_code(outcome_of(error.code));
}

Result<std::chrono::seconds> parse_duration(const std::string& text) {
  if (text.empty())
    return Error(Errc::usage, "empty duration");
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
    ++digits;
  if (digits == 0)
    return Error(Errc::usage, "invalid duration \"" + text + "\"", "use e.g. 90s, 5m, 2h or 30d");
  long long value = std::stoll(text.substr(0, digits));
  std::string unit = text.substr(digits);
  long long factor = unit.empty() || unit == "s" ? 1
                     : unit == "m"               ? 60
                     : unit == "h"               ? 3600
                     : unit == "d"               ? 86400
                                                 : 0;
  if (factor == 0)
    return Error(Errc::usage, "invalid duration \"" + text + "\"", "use e.g. 90s, 5m, 2h or 30d");
  return std::chrono::seconds(value * factor);
}

std::vector<mesh::Cluster> open_all_contexts(const kube::Kubeconfig& config,
                                             const std::vector<mesh::Member>& exclude,
                                             const kube::ClientOptions& options) {
  std::set<std::string> taken_contexts, taken_names;
  for (const auto& m : exclude) {
    taken_contexts.insert(m.context);
    taken_names.insert(m.mesh_name);
  }
  std::vector<mesh::Cluster> out;
  for (const auto& summary : config.contexts()) {
    if (taken_contexts.count(summary.name))
      continue;
    auto member = mesh::parse_member(summary.name);
    if (!member || !taken_names.insert(member->mesh_name).second) {
      log::warn("skipping context \"{}\": no distinct mesh name can be derived from it", summary.name);
      continue;
    }
    auto opened = mesh::open_clusters(config, {*member}, options);
    if (!opened) {
      log::warn("skipping context \"{}\": {}", summary.name, opened.error().message);
      continue;
    }
    out.push_back(std::move(opened->front()));
  }
  return out;
}

}  // namespace meshctl::cli
