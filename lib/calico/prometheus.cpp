#include "calico/prometheus.h"

#include <cctype>
#include <charconv>
#include <optional>

#include "calico/names.h"

namespace meshctl::calico {
namespace {

bool is_name_char(char c, bool first) {
  auto u = static_cast<unsigned char>(c);
  return std::isalpha(u) || c == '_' || c == ':' || (!first && std::isdigit(u));
}

// Parses {a="x",b="y\"z"}; advances `pos` past the closing brace.
std::optional<std::map<std::string, std::string>> parse_labels(std::string_view line, size_t& pos) {
  std::map<std::string, std::string> labels;
  ++pos;  // '{'
  while (pos < line.size()) {
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == ','))
      ++pos;
    if (pos < line.size() && line[pos] == '}') {
      ++pos;
      return labels;
    }
    size_t key_start = pos;
    while (pos < line.size() && is_name_char(line[pos], pos == key_start))
      ++pos;
    std::string key(line.substr(key_start, pos - key_start));
    if (key.empty() || pos + 1 >= line.size() || line[pos] != '=' || line[pos + 1] != '"')
      return std::nullopt;
    pos += 2;
    std::string value;
    while (pos < line.size() && line[pos] != '"') {
      if (line[pos] == '\\' && pos + 1 < line.size()) {
        ++pos;
        value.push_back(line[pos] == 'n' ? '\n' : line[pos]);
      } else {
        value.push_back(line[pos]);
      }
      ++pos;
    }
    if (pos >= line.size())
      return std::nullopt;
    ++pos;  // closing quote
    labels.emplace(std::move(key), std::move(value));
  }
  return std::nullopt;
}

std::optional<double> parse_value(std::string_view text) {
  while (!text.empty() && text.front() == ' ')
    text.remove_prefix(1);
  text = text.substr(0, text.find(' '));
  if (text == "NaN")
    return std::nullopt;
  if (text == "+Inf" || text == "-Inf")
    return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

std::optional<Sample> parse_sample(std::string_view line) {
  size_t pos = 0;
  while (pos < line.size() && is_name_char(line[pos], pos == 0))
    ++pos;
  if (pos == 0)
    return std::nullopt;
  Sample sample;
  sample.name = std::string(line.substr(0, pos));
  if (pos < line.size() && line[pos] == '{') {
    auto labels = parse_labels(line, pos);
    if (!labels)
      return std::nullopt;
    sample.labels = std::move(*labels);
  }
  if (pos >= line.size() || line[pos] != ' ')
    return std::nullopt;
  auto value = parse_value(line.substr(pos));
  if (!value)
    return std::nullopt;
  sample.value = *value;
  return sample;
}

}  // namespace

std::vector<Sample> parse_prometheus_text(std::string_view text) {
  std::vector<Sample> samples;
  while (!text.empty()) {
    auto newline = text.find('\n');
    auto line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (line.empty() || line.front() == '#')
      continue;
    if (auto sample = parse_sample(line))
      samples.push_back(std::move(*sample));
  }
  return samples;
}

std::map<std::string, double> remote_cluster_gauges(std::string_view metrics_text) {
  std::map<std::string, double> out;
  for (auto& sample : parse_prometheus_text(metrics_text)) {
    if (sample.name != kTyphaMetricName)
      continue;
    auto it = sample.labels.find("remote_cluster_name");
    if (it != sample.labels.end())
      out[it->second] = sample.value;
  }
  return out;
}

}  // namespace meshctl::calico
