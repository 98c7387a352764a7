// A small reader for the Prometheus text exposition format, enough to read
// Typha's remote_cluster_connection_status gauge.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace meshctl::calico {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Returns every well-formed sample; comments and malformed lines are skipped.
std::vector<Sample> parse_prometheus_text(std::string_view text);

// remote_cluster_connection_status per remote_cluster_name.
std::map<std::string, double> remote_cluster_gauges(std::string_view metrics_text);

}  // namespace meshctl::calico
