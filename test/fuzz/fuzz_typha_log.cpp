// Fuzzes the Calico log readers: Typha's (with Secret attribution) and
// calico-kube-controllers', over the whole input and line by line.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "calico/typha_log.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const meshctl::calico::SecretReaders secrets = {
      {"calico-system/remote-cluster-fra", {"fra"}},
      {"calico-system/shared", {"pdx", "pdx2"}},
  };
  const auto report = meshctl::calico::read_typha_log(text, secrets);
  for (const auto& [remote, event] : report.links)
    (void)meshctl::calico::link_state_name(event.state);
  (void)meshctl::calico::read_kube_controllers_log(text);
  std::string_view rest = text;
  while (!rest.empty()) {
    const auto newline = rest.find('\n');
    const std::string_view line = rest.substr(0, newline);
    rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
    if (auto parsed = meshctl::calico::parse_typha_log_line(line))
      (void)parsed->field("error");
  }
  return 0;
}
