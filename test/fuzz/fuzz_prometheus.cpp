// Fuzzes the Prometheus text reader: parse_prometheus_text, and
// remote_cluster_gauges with each value mapped to a link state as status does.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "calico/link_state.h"
#include "calico/prometheus.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const auto& sample : meshctl::calico::parse_prometheus_text(text)) {
    (void)meshctl::calico::link_state_from_gauge(sample.value);
  }
  for (const auto& [remote, value] : meshctl::calico::remote_cluster_gauges(text)) {
    (void)meshctl::calico::link_state_name(meshctl::calico::link_state_from_gauge(value));
  }
  return 0;
}
