#include "calico/typha_log.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace meshctl::calico {
namespace {

constexpr std::string_view kRccOpen = "RemoteClusterConfiguration(";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

// The RCC a line is about: "RemoteClusterConfiguration(x)" anywhere in it, or
// a logrus field rcc=x / remoteCluster=x / name=x appended by WithField.
std::string rcc_name_in(std::string_view message) {
  if (auto open = message.find(kRccOpen); open != std::string_view::npos) {
    auto start = open + kRccOpen.size();
    auto close = message.find(')', start);
    if (close != std::string_view::npos)
      return lower(message.substr(start, close - start));
  }
  for (std::string_view key : {"rcc=", "remoteCluster=", "remote_cluster_name="}) {
    auto pos = message.find(key);
    if (pos == std::string_view::npos)
      continue;
    if (pos > 0 && !std::isspace(static_cast<unsigned char>(message[pos - 1])))
      continue;
    auto value = message.substr(pos + key.size());
    if (!value.empty() && value.front() == '"') {
      value.remove_prefix(1);
      value = value.substr(0, value.find('"'));
    } else {
      value = value.substr(0, value.find(' '));
    }
    return lower(value);
  }
  return {};
}

// Text after the RCC reference, i.e. Typha's error: "...(x) <error>" or "error=<error>".
std::string error_after(std::string_view message) {
  if (auto pos = message.find("error="); pos != std::string_view::npos) {
    auto value = trim(message.substr(pos + 6));
    if (!value.empty() && value.front() == '"' && value.size() > 1 && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return std::string(value);
  }
  if (auto open = message.find(kRccOpen); open != std::string_view::npos) {
    auto close = message.find(')', open);
    if (close != std::string_view::npos)
      return std::string(trim(message.substr(close + 1)));
  }
  return std::string(message);
}

struct Rule {
  std::string_view needle;
  LinkState state;
  bool detail_is_error;
};

// Order matters: the first needle found decides.
constexpr std::array<Rule, 9> kRules = {{
    {"Sending in-sync update for", LinkState::in_sync, false},
    {"Creating syncer for", LinkState::connecting, false},
    {"Sending connection failed update for", LinkState::connection_failed, true},
    {"Could not connect to remote cluster", LinkState::connection_failed, true},
    {"Connection to datastore has failed", LinkState::connection_failed, false},
    {"Cluster access secret was not found", LinkState::secret_missing, false},
    {"Unable to get datastore config", LinkState::config_incomplete, false},
    {"Restart process to pick up changes to the connection data", LinkState::restart_required, false},
    {"Sending resync in progress update for", LinkState::resyncing, false},
}};

}  // namespace

std::string_view link_state_name(LinkState state) {
  switch (state) {
    case LinkState::in_sync:
      return "in-sync";
    case LinkState::resyncing:
      return "resyncing";
    case LinkState::connecting:
      return "connecting";
    case LinkState::unknown:
      return "unknown";
    case LinkState::restart_required:
      return "restart-required";
    case LinkState::config_incomplete:
      return "config-incomplete";
    case LinkState::secret_missing:
      return "secret-missing";
    case LinkState::connection_failed:
      return "connection-failed";
  }
  return "unknown";
}

LinkState link_state_from_gauge(double value) {
  // Out of range, infinite or NaN (from_chars reads "inf" and "nan") is no state
  // Typha reports, and converting it to int would be undefined behaviour.
  if (!(value >= 0 && value <= 5))
    return LinkState::unknown;
  switch (static_cast<int>(value)) {
    case 0:
      return LinkState::connection_failed;
    case 1:
      return LinkState::connecting;
    case 2:
      return LinkState::in_sync;
    case 3:
      return LinkState::resyncing;
    case 4:
      return LinkState::restart_required;
    case 5:
      return LinkState::config_incomplete;
    default:
      return LinkState::unknown;
  }
}

std::optional<TyphaLogLine> parse_typha_log_line(std::string_view line) {
  line = trim(line);
  // "YYYY-MM-DD HH:MM:SS.mmm [LEVEL][pid] file.go NNN: message"
  auto bracket = line.find(" [");
  if (bracket == std::string_view::npos || bracket < 10)
    return std::nullopt;
  auto level_end = line.find(']', bracket + 2);
  if (level_end == std::string_view::npos)
    return std::nullopt;
  auto colon = line.find(": ", level_end);
  if (colon == std::string_view::npos)
    return std::nullopt;
  TyphaLogLine out;
  out.timestamp = std::string(line.substr(0, bracket));
  out.level = std::string(line.substr(bracket + 2, level_end - bracket - 2));
  if (level_end + 1 < line.size() && line[level_end + 1] == '[') {
    auto pid_end = line.find(']', level_end + 2);
    if (pid_end != std::string_view::npos) out.pid = std::string(line.substr(level_end + 2, pid_end - level_end - 2));
  }
  out.message = std::string(trim(line.substr(colon + 2)));
  if (out.timestamp.empty() || !std::isdigit(static_cast<unsigned char>(out.timestamp.front()))) {
    return std::nullopt;
  }
  return out;
}

std::optional<LinkEvent> classify_typha_message(const TyphaLogLine& line) {
  const std::string& message = line.message;
  for (const Rule& rule : kRules) {
    if (message.find(rule.needle) == std::string::npos)
      continue;
    LinkEvent event;
    event.state = rule.state;
    event.remote = rcc_name_in(message);
    event.detail = rule.detail_is_error ? error_after(message) : message;
    event.timestamp = line.timestamp;
    return event;
  }
  return std::nullopt;
}

TyphaReport read_typha_log(std::string_view log_text) {
  TyphaReport report;
  std::string current_pid;
  while (!log_text.empty()) {
    auto newline = log_text.find('\n');
    auto raw = log_text.substr(0, newline);
    log_text = newline == std::string_view::npos ? std::string_view{} : log_text.substr(newline + 1);
    auto line = parse_typha_log_line(raw);
    if (!line)
      continue;
    if (!line->pid.empty() && line->pid != current_pid) {
      if (!current_pid.empty())
        report = TyphaReport{};  // a new process: what the old one said no longer holds
      current_pid = line->pid;
    }
    if (line->message.find("Handling delete RCC update") != std::string::npos) {
      if (auto name = rcc_name_in(line->message); !name.empty())
        report.links.erase(name);
      continue;
    }
    auto event = classify_typha_message(*line);
    if (!event)
      continue;
    // The bare "Connection to datastore has failed" line is followed by the
    // named "Sending connection failed update" line; alone it says nothing new.
    if (event->remote.empty() && event->state == LinkState::connection_failed)
      continue;
    if (event->remote.empty()) {
      report.unattributed.push_back(std::move(*event));
    } else {
      report.links[event->remote] = std::move(*event);
    }
  }
  return report;
}

std::optional<LinkEvent> find_link_event(const TyphaReport& report, const std::string& remote,
                                         const std::string& secret_name) {
  if (auto it = report.links.find(remote); it != report.links.end()) return it->second;
  if (secret_name.empty()) return std::nullopt;
  for (auto it = report.unattributed.rbegin(); it != report.unattributed.rend(); ++it) {
    if (it->detail.find(secret_name) == std::string::npos) continue;
    LinkEvent event = *it;
    event.remote = remote;
    return event;
  }
  return std::nullopt;
}

}  // namespace meshctl::calico
