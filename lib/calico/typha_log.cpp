#include "calico/typha_log.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <variant>

namespace meshctl::calico {
namespace {

constexpr std::string_view kRccOpen = "RemoteClusterConfiguration(";
// daemon.go's restart line puts a space before the parenthesis.
constexpr std::string_view kRccOpenSpaced = "RemoteClusterConfiguration (";
constexpr std::string_view kStatusKeyOpen = "RemoteClusterStatus(name=";

// Field keys Calico's remote-cluster, watcher and federation code write. An
// unquoted value (an error) may contain anything, so only one of these keys,
// sorted after the current one, may end it.
constexpr std::array<std::string_view, 10> kKnownKeys = {"Error",    "Key",
                                                         "ListRoot", "Namespace",
                                                         "Secret",   "Status",
                                                         "error",    "errorsWithoutProgress",
                                                         "event",    "performFullResync"};

// A line may hold many "k=" look-alikes; trying each as the start of the
// fields costs a scan of the rest, so only this many are tried.
constexpr int kMaxFieldStarts = 64;

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

bool known_key(std::string_view key) {
  return std::find(kKnownKeys.begin(), kKnownKeys.end(), key) != kKnownKeys.end();
}

// The key of a field starting at `pos` (a space followed by "key="), or "".
std::string_view key_at(std::string_view text, std::size_t pos) {
  if (pos >= text.size() || text[pos] != ' ')
    return {};
  std::size_t i = pos + 1;
  if (i >= text.size() || !(std::isalpha(static_cast<unsigned char>(text[i])) || text[i] == '_'))
    return {};
  while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_'))
    ++i;
  if (i >= text.size() || text[i] != '=')
    return {};
  return text.substr(pos + 1, i - pos - 1);
}

// Undoes strconv.Quote for the escapes Go writes; `quoted` includes both quotes.
std::string unquote(std::string_view quoted) {
  std::string out;
  for (std::size_t i = 1; i + 1 < quoted.size(); ++i) {
    char c = quoted[i];
    if (c == '\\' && i + 2 < quoted.size()) {
      char next = quoted[++i];
      out += next == 'n' ? '\n' : next == 't' ? '\t' : next;
    } else {
      out += c;
    }
  }
  return out;
}

using Fields = std::vector<std::pair<std::string, std::string>>;

// Parses " k=v k=v ..." from `start` to the end, keys strictly ascending as
// Calico's formatter sorts them; nullopt when the rest is not such a list.
std::optional<Fields> parse_fields(std::string_view text, std::size_t start) {
  Fields fields;
  std::size_t pos = start;
  while (pos < text.size()) {
    auto key = key_at(text, pos);
    if (key.empty() || (!fields.empty() && key <= fields.back().first))
      return std::nullopt;
    std::size_t value_start = pos + 1 + key.size() + 1;
    std::string value;
    if (value_start < text.size() && text[value_start] == '"') {
      std::size_t i = value_start + 1;
      while (i < text.size() && text[i] != '"')
        i += text[i] == '\\' ? std::size_t{2} : std::size_t{1};
      if (i >= text.size())
        return std::nullopt;
      value = unquote(text.substr(value_start, i - value_start + 1));
      pos = i + 1;
      if (pos < text.size() && text[pos] != ' ')
        return std::nullopt;
    } else {
      std::size_t end = text.size();
      for (std::size_t j = value_start; j < text.size(); ++j) {
        auto next = key_at(text, j);
        if (!next.empty() && known_key(next) && next > key) {
          end = j;
          break;
        }
      }
      value = std::string(text.substr(value_start, end - value_start));
      pos = end;
    }
    fields.emplace_back(std::string(key), std::move(value));
  }
  return fields;
}

// Splits "message k=v ..." where the fields begin: the first known key from
// which the rest of the line parses as fields.
void split_message(std::string_view text, TyphaLogLine& out) {
  int tried = 0;
  for (std::size_t i = text.find(' '); i != std::string_view::npos && tried < kMaxFieldStarts;
       i = text.find(' ', i + 1)) {
    auto key = key_at(text, i);
    if (key.empty() || !known_key(key))
      continue;
    ++tried;
    if (auto fields = parse_fields(text, i)) {
      out.message = std::string(trim(text.substr(0, i)));
      out.fields = std::move(*fields);
      return;
    }
  }
  out.message = std::string(trim(text));
}

// The name inside "<open>name)" in `text`, lower-cased; "" when absent.
std::string name_after(std::string_view text, std::string_view open) {
  auto start = text.find(open);
  if (start == std::string_view::npos)
    return {};
  start += open.size();
  auto close = text.find(')', start);
  if (close == std::string_view::npos)
    return {};
  return lower(text.substr(start, close - start));
}

// Text after "RemoteClusterConfiguration(x)" in a message: Typha's error.
std::string text_after_rcc(std::string_view message) {
  auto open = message.find(kRccOpen);
  if (open == std::string_view::npos)
    return std::string(message);
  auto close = message.find(')', open);
  return close == std::string_view::npos ? std::string(message)
                                         : std::string(trim(message.substr(close + 1)));
}

bool contains(std::string_view text, std::string_view needle) {
  return text.find(needle) != std::string_view::npos;
}

// What one process has said so far, per link.
class LinkTracker {
 public:
  explicit LinkTracker(const SecretReaders& secrets) : secrets_(&secrets) {}

  void read(const TyphaLogLine& line);
  TyphaReport report() const;

 private:
  struct Track {
    LinkEvent event;
    bool synced = false;  // the current syncer has logged in-sync
  };

  // The RCCs a line is about: the Key= field, the Secret's readers, or the
  // RemoteClusterConfiguration(x) in the message. Empty when none is known.
  std::vector<std::string> targets(const TyphaLogLine& line, std::string& secret) const;
  void set(const std::string& remote, LinkState state, std::string detail, const TyphaLogLine& line);
  void read_source_line(const TyphaLogLine& line, LinkState state, std::string detail);

  const SecretReaders* secrets_;
  std::map<std::string, Track> links_;
  std::vector<LinkEvent> unattributed_;
};

std::vector<std::string> LinkTracker::targets(const TyphaLogLine& line, std::string& secret) const {
  if (const auto* key = line.field("Key")) {
    if (auto name = name_after(*key, kRccOpen); !name.empty())
      return {name};
  }
  const auto* ns = line.field("Namespace");
  const auto* name = line.field("Secret");
  if (ns != nullptr && name != nullptr) {
    secret = *ns + "/" + *name;
    auto it = secrets_->find(secret);
    if (it == secrets_->end())
      return {};
    std::vector<std::string> out;
    for (const auto& rcc : it->second)
      out.push_back(lower(rcc));
    return out;
  }
  if (auto from_message = name_after(line.message, kRccOpen); !from_message.empty())
    return {from_message};
  return {};
}

void LinkTracker::set(const std::string& remote, LinkState state, std::string detail,
                      const TyphaLogLine& line) {
  Track& track = links_[remote];
  track.event.state = state;
  track.event.remote = remote;
  track.event.detail = std::move(detail);
  track.event.timestamp = line.timestamp;
  track.event.failed_after_sync = state == LinkState::connection_failed && track.synced;
}

// A line caused by an RCC or Secret event ("Received <src>. ..."), about the
// RCCs its fields name.
void LinkTracker::read_source_line(const TyphaLogLine& line, LinkState state, std::string detail) {
  std::string secret;
  auto remotes = targets(line, secret);
  if (!secret.empty())
    detail += " (Secret " + secret + ")";
  if (remotes.empty()) {
    unattributed_.push_back(LinkEvent{state, "", detail, line.timestamp, false});
    return;
  }
  for (const auto& remote : remotes) {
    auto it = links_.find(remote);
    // "Handling <src> as invalidating remote cluster" follows the line that
    // says why; that line's words are the better explanation.
    if (state == LinkState::config_incomplete && it != links_.end() &&
        (it->second.event.state == LinkState::secret_missing ||
         it->second.event.state == LinkState::config_incomplete) &&
        contains(line.message, "as invalidating remote cluster"))
      continue;
    set(remote, state, detail, line);
  }
}

void LinkTracker::read(const TyphaLogLine& line) {
  const std::string& m = line.message;
  if (contains(m, "Sending in-sync update for ")) {
    auto remote = name_after(m, kRccOpen);
    set(remote, LinkState::in_sync, m, line);
    links_[remote].synced = true;
  } else if (contains(m, "Creating syncer for ")) {
    auto remote = name_after(m, kRccOpen);
    set(remote, LinkState::connecting, m, line);
    links_[remote].synced = false;
  } else if (contains(m, "Sending connection failed update for ")) {
    const auto* error = line.field("error");
    set(name_after(m, kRccOpen), LinkState::connection_failed, error ? *error : text_after_rcc(m), line);
  } else if (contains(m, "Could not connect to remote cluster")) {
    set(name_after(m, kRccOpen), LinkState::connection_failed, text_after_rcc(m), line);
  } else if (contains(m, "Cluster access secret was not found")) {
    read_source_line(line, LinkState::secret_missing, m);
  } else if (auto pos = m.find("Unable to get datastore config: "); pos != std::string::npos) {
    read_source_line(line, LinkState::config_incomplete,
                     "Unable to get datastore config: " + m.substr(pos + 32));
  } else if (contains(m, "Restart process to pick up changes to the connection data")) {
    read_source_line(line, LinkState::restart_required, m);
  } else if (contains(m, "received remote cluster restart: ")) {
    set(name_after(m, kRccOpenSpaced), LinkState::restart_required, m, line);
  } else if (contains(m, "as invalidating remote cluster")) {
    read_source_line(line, LinkState::config_incomplete, m);
  } else if (contains(m, "Stop syncer for ")) {
    auto it = links_.find(name_after(m, kRccOpen));
    if (it == links_.end())
      return;  // an RCC being deleted: "Handling delete RCC update" came first
    it->second.synced = false;
    auto state = it->second.event.state;
    if (state != LinkState::secret_missing && state != LinkState::config_incomplete)
      set(it->first, LinkState::config_incomplete, "Typha stopped the syncer: " + m, line);
  } else if (contains(m, "Handling delete RCC update")) {
    std::string unused;
    for (const auto& remote : targets(line, unused))
      links_.erase(remote);
  }
}

TyphaReport LinkTracker::report() const {
  TyphaReport out;
  for (const auto& [remote, track] : links_) {
    if (!remote.empty())
      out.links[remote] = track.event;
  }
  out.unattributed = unattributed_;
  return out;
}

std::optional<LinkState> state_from_status_word(std::string_view word) {
  if (word == "InSync")
    return LinkState::in_sync;
  if (word == "Connecting")
    return LinkState::connecting;
  if (word == "ResyncInProgress")
    return LinkState::resyncing;
  if (word == "ConnectionFailed")
    return LinkState::connection_failed;
  if (word == "ConfigChangeRestartRequired")
    return LinkState::restart_required;
  if (word == "ConfigIncomplete")
    return LinkState::config_incomplete;
  return std::nullopt;
}

}  // namespace

const std::string* TyphaLogLine::field(std::string_view key) const {
  for (const auto& [k, v] : fields) {
    if (k == key)
      return &v;
  }
  return nullptr;
}

std::optional<TyphaLogLine> parse_typha_log_line(std::string_view line) {
  line = trim(line);
  // "YYYY-MM-DD HH:MM:SS.mmm [LEVEL][pid] [component/]file.go NNN: message[ k=v ...]"
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
  if (!std::isdigit(static_cast<unsigned char>(out.timestamp.front())))
    return std::nullopt;
  out.level = std::string(line.substr(bracket + 2, level_end - bracket - 2));
  if (level_end + 1 < line.size() && line[level_end + 1] == '[') {
    auto pid_end = line.find(']', level_end + 2);
    if (pid_end != std::string_view::npos)
      out.pid = std::string(line.substr(level_end + 2, pid_end - level_end - 2));
  }
  split_message(line.substr(colon + 1), out);
  return out;
}

namespace {

// What calico-kube-controllers' federation controller has said so far:
// every status change of every remote ("Remote cluster status update ...
// Key=RemoteClusterStatus(name=x) Status=...").
class ControllerTracker {
 public:
  void read(const TyphaLogLine& line) {
    const auto* key = line.field("Key");
    std::string remote = key ? name_after(*key, kStatusKeyOpen) : "";
    if (remote.empty())
      return;
    if (contains(line.message, "Remote cluster deleted")) {
      report_.links.erase(remote);
      synced_.erase(remote);
      return;
    }
    const auto* status = line.field("Status");
    if (!contains(line.message, "Remote cluster status update") || status == nullptr)
      return;
    auto state = state_from_status_word(*status);
    if (!state)
      return;
    const auto* error = line.field("Error");
    LinkEvent event{*state, remote, error && !error->empty() ? *error : "Status=" + *status, line.timestamp,
                    *state == LinkState::connection_failed && synced_[remote]};
    if (*state == LinkState::in_sync)
      synced_[remote] = true;
    if (*state == LinkState::connecting || *state == LinkState::config_incomplete)
      synced_[remote] = false;
    report_.links[remote] = std::move(event);
  }
  TyphaReport report() const { return report_; }

 private:
  TyphaReport report_;
  std::map<std::string, bool> synced_;
};

}  // namespace

// The tracker of the current process, started afresh whenever the process
// id changes, and the line the last piece left unfinished.
struct LogReader::State {
  LogKind kind;
  SecretReaders secrets;  // LinkTracker refers to these
  std::string unfinished;
  std::string pid;
  std::variant<LinkTracker, ControllerTracker> tracker;

  State(LogKind k, SecretReaders s) : kind(k), secrets(std::move(s)), tracker(fresh()) {}

  std::variant<LinkTracker, ControllerTracker> fresh() const {
    if (kind == LogKind::typha)
      return LinkTracker(secrets);
    return ControllerTracker();
  }

  void read_line(std::string_view raw) {
    auto line = parse_typha_log_line(raw);
    if (!line)
      return;
    if (!line->pid.empty() && line->pid != pid) {
      if (!pid.empty())
        tracker = fresh();
      pid = line->pid;
    }
    std::visit([&](auto& t) { t.read(*line); }, tracker);
  }
};

LogReader::LogReader(LogKind kind, SecretReaders secrets)
    : state_(std::make_unique<State>(kind, std::move(secrets))) {}
LogReader::~LogReader() = default;

void LogReader::feed(std::string_view text) {
  auto newline = text.find('\n');
  if (newline == std::string_view::npos) {
    state_->unfinished.append(text);
    return;
  }
  if (!state_->unfinished.empty()) {
    state_->unfinished.append(text.substr(0, newline));
    state_->read_line(state_->unfinished);
    state_->unfinished.clear();
  } else {
    state_->read_line(text.substr(0, newline));
  }
  text.remove_prefix(newline + 1);
  for (newline = text.find('\n'); newline != std::string_view::npos; newline = text.find('\n')) {
    state_->read_line(text.substr(0, newline));
    text.remove_prefix(newline + 1);
  }
  state_->unfinished.assign(text);
}

void LogReader::restart() {
  state_->unfinished.clear();
  state_->pid.clear();
  state_->tracker = state_->fresh();
}

TyphaReport LogReader::report() const {
  return std::visit([](const auto& t) { return t.report(); }, state_->tracker);
}

TyphaReport LogReader::finish() {
  if (!state_->unfinished.empty()) {
    state_->read_line(state_->unfinished);
    state_->unfinished.clear();
  }
  return report();
}

TyphaReport read_typha_log(std::string_view log_text, const SecretReaders& secrets) {
  LogReader reader(LogKind::typha, secrets);
  reader.feed(log_text);
  return reader.finish();
}

TyphaReport read_kube_controllers_log(std::string_view log_text) {
  LogReader reader(LogKind::kube_controllers);
  reader.feed(log_text);
  return reader.finish();
}

}  // namespace meshctl::calico
