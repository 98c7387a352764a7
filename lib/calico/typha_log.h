// Reads what Calico Enterprise says about its remote clusters in its logs:
// Typha's remote-cluster syncer and calico-kube-controllers' federation
// controller. Both log through Calico's logrus formatter:
//   2026-03-31 11:52:09.007 [INFO][7] typha/wrappedcallbacks.go 533: <message> Key=... error=...
// File and line numbers move between releases, so only message texts and
// fields are matched (the texts and the sequences they come in are listed in
// ../shared/calico-mesh.md, "How a link is seen to work").
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "calico/link_state.h"

namespace meshctl::calico {

struct TyphaLogLine {
  std::string timestamp;  // "2024-02-27 01:51:06.156"
  std::string level;      // "INFO", "WARNING", ...
  std::string pid;        // "13": a new value means a new process
  std::string message;    // text after "file.go NNN: ", without the fields
  // logrus fields after the message, in the order written (Calico sorts them
  // by key); quoted values are unquoted.
  std::vector<std::pair<std::string, std::string>> fields;

  // The value of a field, or nullptr.
  const std::string* field(std::string_view key) const;
};

// Parses one formatted line; nullopt for anything else.
std::optional<TyphaLogLine> parse_typha_log_line(std::string_view line);

struct LinkEvent {
  LinkState state = LinkState::unknown;
  std::string remote;     // RCC name (lower-cased)
  std::string detail;     // Calico's words: the error, or the message itself
  std::string timestamp;  // of the line that set the state
  // A connection failure reported after the same syncer had been in sync.
  // Calico reports in-sync once per syncer and never takes a failure back
  // (neither in the log nor in the gauge) until the process restarts, so such
  // a failure may be stale: the link may work again.
  bool failed_after_sync = false;
};

// Which RCCs read a Secret: "namespace/name" -> RCC names. Lines caused by a
// Secret event name only the Secret (Namespace= and Secret= fields).
using SecretReaders = std::map<std::string, std::vector<std::string>>;

struct TyphaReport {
  // State per RCC name (lower-cased) after the whole log of one process.
  std::map<std::string, LinkEvent> links;
  // Events about a Secret that no known RCC reads, latest last.
  std::vector<LinkEvent> unattributed;
};

enum class LogKind { typha, kube_controllers };

// Reads one pod's log as it arrives, in pieces of any size, holding what it
// has learnt and the one line not yet finished, never the log itself (a
// replica's log since its container started may be many megabytes).
//
// Typha: lines are attributed by the exact RCC name (the message's
// "RemoteClusterConfiguration(x)" or the Key= field) or by the exact Secret
// (through `secrets`); never by substring. calico-kube-controllers: its
// federation controller logs every status change of every remote ("Remote
// cluster status update ... Key=RemoteClusterStatus(name=x) Status=..."), a
// second witness beside Typha. In both, when the process id changes, what the
// earlier process said no longer counts.
class LogReader {
 public:
  explicit LogReader(LogKind kind, SecretReaders secrets = {});
  ~LogReader();
  LogReader(const LogReader&) = delete;
  LogReader& operator=(const LogReader&) = delete;

  // Reads the complete lines in `text`; the unfinished end waits for the next piece.
  void feed(std::string_view text);
  // The log is being read again from its start (a request sent again).
  void restart();
  // What the complete lines have said so far.
  TyphaReport report() const;
  // The log has ended: an unfinished last line is read too.
  TyphaReport finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// A whole log at once, through LogReader.
TyphaReport read_typha_log(std::string_view log_text, const SecretReaders& secrets = {});
TyphaReport read_kube_controllers_log(std::string_view log_text);

}  // namespace meshctl::calico
