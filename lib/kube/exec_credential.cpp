#include "kube/exec_credential.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#include "util/base64.h"
#include "util/log.h"

namespace meshctl::kube {
namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

// Renew a cached credential this long before it expires, so a request does not
// start with a token that lapses in flight.
constexpr auto kRefreshMargin = std::chrono::seconds(10);
// An ExecCredential is a few KiB; anything much larger is not one.
constexpr std::size_t kMaxOutput = 4u << 20;

std::string in_quotes(const std::string& s) {
  return "\"" + s + "\"";
}

std::string format_duration(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0)
    return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

// Every error names the context and the plugin command.
struct Reporter {
  std::string prefix;
  Error fail(const std::string& what, std::string hint = {}) const {
    return Error(Errc::credential, prefix + what, std::move(hint));
  }
};

// KUBERNETES_EXEC_INFO: what client-go passes, an ExecCredential with only spec.
std::string exec_info(const ExecConfig& exec, const ClusterEntry& cluster, bool interactive) {
  Json spec = {{"interactive", interactive}};
  if (exec.provide_cluster_info) {
    Json c = {{"server", cluster.server}};
    if (!cluster.tls_server_name.empty())
      c["tls-server-name"] = cluster.tls_server_name;
    if (cluster.insecure_skip_tls_verify)
      c["insecure-skip-tls-verify"] = true;
    if (!cluster.ca_pem.empty())
      c["certificate-authority-data"] = base64_encode(cluster.ca_pem);
    if (!cluster.proxy_url.empty())
      c["proxy-url"] = cluster.proxy_url;
    spec["cluster"] = std::move(c);
  }
  Json info = {{"apiVersion", exec.api_version}, {"kind", "ExecCredential"}, {"spec", std::move(spec)}};
  return info.dump();
}

// The parent's environment, then the kubeconfig's exec.env, then the exec info;
// a later entry replaces an earlier one of the same name.
std::vector<std::string> child_environment(const ExecConfig& exec, const std::string& info) {
  std::vector<std::pair<std::string, std::string>> vars;
  auto set = [&vars](const std::string& name, const std::string& value) {
    for (auto& [n, v] : vars) {
      if (n == name) {
        v = value;
        return;
      }
    }
    vars.emplace_back(name, value);
  };
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string::npos)
      continue;
    vars.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
  }
  for (const auto& [name, value] : exec.env)
    set(name, value);
  set("KUBERNETES_EXEC_INFO", info);
  std::vector<std::string> out;
  out.reserve(vars.size());
  for (const auto& [name, value] : vars)
    out.push_back(name + "=" + value);
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

struct Child {
  pid_t pid = -1;
  int stdout_fd = -1;
  bool own_group = false;
};

// RAII for the posix_spawn attribute objects.
struct SpawnSetup {
  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attr{};
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

Result<Child> spawn_plugin(const ExecConfig& exec, const std::string& info, bool interactive,
                           const Reporter& report) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    return report.fail(std::string("pipe: ") + std::strerror(errno));
  SpawnSetup setup;
  posix_spawn_file_actions_adddup2(&setup.actions, fds[1], STDOUT_FILENO);
  // stdin is the user's terminal only when the plugin may interact; stderr always
  // passes through so the user sees the plugin's messages.
  if (!interactive)
    posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  // A non-interactive plugin gets its own process group so a timeout can stop
  // whatever it started; an interactive one stays in the terminal's group.
  if (!interactive)
    flags = static_cast<short>(flags | POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setflags(&setup.attr, flags);
  posix_spawnattr_setpgroup(&setup.attr, 0);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&setup.attr, &empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigdefault(&setup.attr, &defaults);

  std::vector<std::string> argv_strings{exec.command};
  argv_strings.insert(argv_strings.end(), exec.args.begin(), exec.args.end());
  std::vector<std::string> env_strings = child_environment(exec, info);
  auto argv = c_strings(argv_strings);
  auto envp = c_strings(env_strings);
  pid_t pid = -1;
  const int rc =
      posix_spawnp(&pid, exec.command.c_str(), &setup.actions, &setup.attr, argv.data(), envp.data());
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    if (rc == ENOENT) {
      const bool path_lookup = exec.command.find('/') == std::string::npos;
      std::string hint = exec.install_hint;
      if (hint.empty())
        hint = "install the plugin or fix users[].user.exec.command in the kubeconfig";
      return report.fail(path_lookup ? "not found in PATH" : "not found", hint);
    }
    if (rc == EACCES) {
      return report.fail("is not executable (permission denied)",
                         "make it executable (chmod +x), or fix users[].user.exec.command in the kubeconfig");
    }
    return report.fail(std::string("cannot start: ") + std::strerror(rc));
  }
  return Child{pid, fds[0], !interactive};
}

struct Outcome {
  std::string output;
  int wait_status = 0;
  bool timed_out = false;
  bool too_large = false;
};

// Collects stdout until EOF and waits for exit, all within the deadline; stops
// the plugin (and its process group) if it overruns.
Outcome collect(const Child& child, Clock::time_point deadline) {
  Outcome outcome;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      outcome.timed_out = true;
      break;
    }
    pollfd p{child.stdout_fd, POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR)
      break;
    if (ready <= 0)
      continue;
    char buffer[8192];
    const ssize_t n = read(child.stdout_fd, buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (n <= 0)
      break;
    outcome.output.append(buffer, static_cast<std::size_t>(n));
    if (outcome.output.size() > kMaxOutput) {
      outcome.too_large = true;
      break;
    }
  }
  close(child.stdout_fd);
  while (!outcome.timed_out && !outcome.too_large) {
    const pid_t r = waitpid(child.pid, &outcome.wait_status, WNOHANG);
    if (r == child.pid)
      return outcome;
    if (r < 0 && errno != EINTR)
      return outcome;
    if (Clock::now() >= deadline) {
      outcome.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(child.own_group ? -child.pid : child.pid, SIGKILL);
  while (waitpid(child.pid, &outcome.wait_status, 0) < 0 && errno == EINTR) {
  }
  return outcome;
}

int digits(std::string_view s, std::size_t pos, std::size_t len) {
  if (pos + len > s.size())
    return -1;
  int value = 0;
  for (std::size_t i = pos; i < pos + len; ++i) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

// Reads a string member; false when present with another type.
bool string_member(const Json& object, const char* key, std::string& out) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null())
    return true;
  if (!it->is_string())
    return false;
  out = it->get<std::string>();
  return true;
}

}  // namespace

std::string now_rfc3339() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return stamp;
}

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view s) {
  using namespace std::chrono;
  const int y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
  const int h = digits(s, 11, 2), mi = digits(s, 14, 2), sec = digits(s, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0)
    return std::nullopt;
  if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  if (h > 23 || mi > 59 || sec > 60)
    return std::nullopt;
  std::size_t pos = 19;
  nanoseconds fraction{0};
  if (pos < s.size() && s[pos] == '.') {
    long long scale = 100000000;
    const std::size_t start = ++pos;
    for (; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos) {
      fraction += nanoseconds((s[pos] - '0') * scale);
      scale /= 10;
    }
    if (pos == start)
      return std::nullopt;
  }
  minutes offset{0};
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const int oh = digits(s, pos + 1, 2), om = digits(s, pos + 4, 2);
    if (oh < 0 || om < 0 || s[pos + 3] != ':')
      return std::nullopt;
    offset = hours(oh) + minutes(om);
    if (s[pos] == '-')
      offset = -offset;
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size())
    return std::nullopt;
  const year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!date.ok())
    return std::nullopt;
  const auto utc = sys_days{date} + hours(h) + minutes(mi) + seconds(sec) + fraction - offset;
  return time_point_cast<system_clock::duration>(utc);
}

Result<ExecCredential> parse_exec_credential(const std::string& output, const std::string& api_version,
                                             const std::string& error_prefix) {
  const Reporter report{error_prefix};
  // Never echo the output: it may hold a token.
  const Json doc = Json::parse(output, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return report.fail("output is not an ExecCredential (not a JSON object)");
  }
  std::string got_version, kind;
  if (!string_member(doc, "apiVersion", got_version) || !string_member(doc, "kind", kind)) {
    return report.fail("output is not an ExecCredential (apiVersion or kind is not a string)");
  }
  if (kind != "ExecCredential")
    return report.fail("output has kind " + in_quotes(kind) + ", not ExecCredential");
  if (got_version != api_version) {
    return report.fail("plugin answered with apiVersion " + in_quotes(got_version) +
                       " but the kubeconfig asks for " + in_quotes(api_version));
  }
  const auto status = doc.find("status");
  if (status == doc.end() || !status->is_object())
    return report.fail("output has no status");
  std::string token, cert, key, expiry;
  if (!string_member(*status, "token", token) || !string_member(*status, "clientCertificateData", cert) ||
      !string_member(*status, "clientKeyData", key) ||
      !string_member(*status, "expirationTimestamp", expiry)) {
    return report.fail("output has a status field of the wrong type");
  }
  log::register_secret(token);
  log::register_secret(key);
  if (cert.empty() != key.empty()) {
    return report.fail("output has only one of clientCertificateData and clientKeyData");
  }
  if (token.empty() && cert.empty()) {
    return report.fail("output has neither a token nor a client certificate and key");
  }
  ExecCredential credential;
  credential.token = Secret(std::move(token));
  credential.client_cert_pem = std::move(cert);
  credential.client_key_pem = Secret(std::move(key));
  if (!expiry.empty()) {
    credential.expiry = parse_rfc3339(expiry);
    if (!credential.expiry) {
      return report.fail("expirationTimestamp " + in_quotes(expiry) + " is not an RFC 3339 time");
    }
  }
  return credential;
}

Result<ExecCredential> run_exec_plugin(const ExecConfig& exec, const ClusterEntry& cluster,
                                       const std::string& context_name, const ExecOptions& options) {
  const Reporter report{"context " + in_quotes(context_name) + ": exec plugin " + in_quotes(exec.command) +
                        ": "};
  bool interactive = false;
  switch (exec.interactive_mode) {
    case InteractiveMode::never:
      interactive = false;
      break;
    case InteractiveMode::if_available:
      interactive = options.stdin_is_terminal;
      break;
    case InteractiveMode::always:
      // Fail before starting a plugin that would wait for input nobody can give.
      if (!options.stdin_is_terminal) {
        return report.fail("interactiveMode is Always but standard input is not a terminal",
                           "run meshctl from a terminal, or log in with the plugin first");
      }
      interactive = true;
      break;
  }
  const auto deadline = Clock::now() + options.timeout;
  TRY_ASSIGN(const Child child,
             spawn_plugin(exec, exec_info(exec, cluster, interactive), interactive, report));
  const Outcome outcome = collect(child, deadline);
  if (outcome.timed_out) {
    return report.fail("did not finish within " + format_duration(options.timeout) + " and was stopped",
                       interactive ? "run the plugin by hand to see where it waits"
                                   : "run the plugin by hand to see where it waits; a plugin that asks for "
                                     "input needs interactiveMode IfAvailable and a terminal");
  }
  if (outcome.too_large)
    return report.fail("output is larger than an ExecCredential can be; plugin stopped");
  const std::string run_by_hand =
      "its own messages (above, if any) say why; run it by hand, and log in again if it asks you to";
  if (WIFSIGNALED(outcome.wait_status)) {
    return report.fail("killed by signal " + std::to_string(WTERMSIG(outcome.wait_status)), run_by_hand);
  }
  if (WIFEXITED(outcome.wait_status) && WEXITSTATUS(outcome.wait_status) != 0) {
    return report.fail("failed with exit code " + std::to_string(WEXITSTATUS(outcome.wait_status)),
                       run_by_hand);
  }
  auto credential = parse_exec_credential(outcome.output, exec.api_version, report.prefix);
  if (!credential) {
    Error error = credential.error();
    error.hint =
        "the plugin must print an ExecCredential (JSON) on stdout; check users[].user.exec.command and args "
        "in the kubeconfig and run the plugin by hand";
    return error;
  }
  return credential;
}

ExecCredentialSource::ExecCredentialSource(ExecConfig exec, ClusterEntry cluster, std::string context_name,
                                           ExecOptions options)
    : exec_(std::move(exec)),
      cluster_(std::move(cluster)),
      context_name_(std::move(context_name)),
      options_(options) {}

Result<ExecCredential> ExecCredentialSource::get(bool force_refresh) {
  std::unique_lock lock(mutex_);
  if (running_) {
    // Requests sent together all need a credential: they share one run.
    const auto run = finished_runs_;
    finished_.wait(lock, [&] { return finished_runs_ != run; });
    return *last_run_;
  }
  if (last_run_ && !*last_run_ && std::chrono::steady_clock::now() < failed_until_)
    return *last_run_;
  const bool fresh =
      cached_ && (!cached_->expiry || std::chrono::system_clock::now() + kRefreshMargin < *cached_->expiry);
  if (fresh && !force_refresh)
    return *cached_;
  running_ = true;
  lock.unlock();
  auto outcome = run_exec_plugin(exec_, cluster_, context_name_, options_);
  lock.lock();
  running_ = false;
  ++finished_runs_;
  if (outcome)
    cached_ = *outcome;
  else
    failed_until_ = std::chrono::steady_clock::now() + options_.failure_hold;
  last_run_ = outcome;
  finished_.notify_all();
  return outcome;
}

}  // namespace meshctl::kube
