// Fuzzes the Typha log classifier: read_typha_log over the whole input, then
// find_link_event for every link it reports, for a name it may not know, and
// with Secret names taken from the unattributed events' text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "calico/typha_log.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const meshctl::calico::TyphaReport report = meshctl::calico::read_typha_log(text);
  for (const auto& [remote, event] : report.links) {
    (void)meshctl::calico::link_state_name(event.state);
    (void)meshctl::calico::find_link_event(report, remote, "remote-cluster-" + remote);
  }
  (void)meshctl::calico::find_link_event(report, "pdx", "");
  (void)meshctl::calico::find_link_event(report, "pdx", "remote-cluster-pdx");
  for (const auto& event : report.unattributed) {
    const std::string secret = event.detail.substr(event.detail.size() / 2);
    (void)meshctl::calico::find_link_event(report, "not-in-the-log", secret);
  }
  // Line by line too, as the status code's callers may use it.
  std::string_view rest = text;
  while (!rest.empty()) {
    const auto newline = rest.find('\n');
    const std::string_view line = rest.substr(0, newline);
    rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
    if (auto parsed = meshctl::calico::parse_typha_log_line(line)) {
      (void)meshctl::calico::classify_typha_message(*parsed);
    }
  }
  return 0;
}
