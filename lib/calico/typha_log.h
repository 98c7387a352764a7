// Reads what Typha says about its remote clusters. Typha logs with logrus:
//   2024-02-27 01:51:06.156 [INFO][13] wrappedcallbacks.go 487: <message>
// File and line numbers move between releases, so only the message text is
// matched (the strings are listed in ../shared/calico-mesh.md).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "calico/link_state.h"

namespace meshctl::calico {

struct TyphaLogLine {
  std::string timestamp;  // "2024-02-27 01:51:06.156"
  std::string level;      // "INFO", "WARNING", ...
  std::string pid;        // "13": a new value means Typha restarted
  std::string message;    // text after "file.go NNN: "
};

// Parses one logrus-formatted line; nullopt for anything else.
std::optional<TyphaLogLine> parse_typha_log_line(std::string_view line);

struct LinkEvent {
  LinkState state = LinkState::unknown;
  std::string remote;  // RCC name the event is about; "" when the line names none
  std::string detail;  // Typha's words: the error, or the message itself
  std::string timestamp;
};

// Classifies one parsed line; nullopt when it says nothing about remote clusters.
std::optional<LinkEvent> classify_typha_message(const TyphaLogLine& line);

struct TyphaReport {
  // Latest event per RCC name (lower-cased), in log order.
  std::map<std::string, LinkEvent> links;
  // Remote-cluster events whose line names no RCC (e.g. "Received new RCC.
  // Cluster access secret was not found ..."), latest last.
  std::vector<LinkEvent> unattributed;
};

// Reads a whole log (one replica). The last event for each link wins. When the
// process id in the lines changes, Typha restarted and forgot everything, so
// what the earlier process said no longer counts.
TyphaReport read_typha_log(std::string_view log_text);

// The latest event about `remote`: its own, or else the latest unattributed
// one whose text names the link's Secret (Typha's errors about a Secret name
// it, e.g. "secret calico-system/remote-cluster-fra has no datastoreType").
std::optional<LinkEvent> find_link_event(const TyphaReport& report, const std::string& remote,
                                         const std::string& secret_name);

}  // namespace meshctl::calico
