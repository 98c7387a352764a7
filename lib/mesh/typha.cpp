#include "mesh/typha.h"

#include <charconv>

#include "calico/names.h"
#include "calico/prometheus.h"
#include "util/interrupt.h"
#include "util/parallel.h"

namespace meshctl::mesh {
namespace {

// Typha serves its gauge only when the Installation sets typhaMetricsPort,
// which the operator passes on as these environment variables.
std::optional<int> metrics_port(const kube::Json& pod) {
  const auto& containers = pod["spec"].value("containers", kube::Json::array());
  for (const auto& container : containers) {
    bool enabled = false;
    int port = 9093;  // Typha's default metrics port
    for (const auto& env : container.value("env", kube::Json::array())) {
      auto name = env.value("name", "");
      auto value = env.value("value", "");
      if (name == "TYPHA_PROMETHEUSMETRICSENABLED")
        enabled = value == "true";
      if (name == "TYPHA_PROMETHEUSMETRICSPORT") {
        int parsed = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
        if (ec == std::errc() && end == value.data() + value.size() && parsed > 0)
          port = parsed;
      }
    }
    if (enabled)
      return port;
  }
  return std::nullopt;
}

// A replica that is not Running and Ready says nothing current, whatever its
// old log lines claim: never let a stopped Typha vouch for a link.
bool pod_ready(const kube::Json& pod) {
  const auto& status = pod.value("status", kube::Json::object());
  if (status.value("phase", "") != "Running")
    return false;
  for (const auto& condition : status.value("conditions", kube::Json::array())) {
    if (condition.value("type", "") == "Ready")
      return condition.value("status", "") == "True";
  }
  return false;
}

ReplicaView read_replica(kube::Client& client, const kube::Json& pod, const TyphaReadOptions& options) {
  ReplicaView view;
  view.pod = pod["metadata"].value("name", "");
  const std::string ns(calico::kCalicoNamespace);
  if (!pod_ready(pod)) {
    view.error = "pod " + view.pod + " is not Running and Ready";
    return view;
  }
  if (auto port = metrics_port(pod); port && !options.since_seconds) {
    auto text = client.pod_proxy_get(ns, view.pod, *port, "metrics");
    if (text) {
      view.source = "metrics";
      for (const auto& [remote, value] : calico::remote_cluster_gauges(*text)) {
        calico::LinkEvent event;
        event.state = calico::link_state_from_gauge(value);
        event.remote = remote;
        event.detail = "remote_cluster_connection_status=" + std::to_string(static_cast<int>(value));
        view.report.links[remote] = event;
      }
      // The gauge has no words for the cause; the log adds them below.
    }
  }
  kube::LogOptions log_options;
  log_options.tail_lines = options.tail_lines;
  log_options.since_seconds = options.since_seconds;
  auto log = client.pod_logs(ns, view.pod, log_options);
  if (!log) {
    if (view.source.empty())
      view.error = log.error().message;
    return view;
  }
  auto from_log = calico::read_typha_log(*log);
  if (view.source.empty()) {
    view.source = "logs";
    view.report = std::move(from_log);
    return view;
  }
  for (auto& [remote, event] : view.report.links) {
    auto it = from_log.links.find(remote);
    if (it != from_log.links.end() && it->second.state == event.state)
      event.detail = it->second.detail;
  }
  view.report.unattributed = std::move(from_log.unattributed);
  return view;
}

bool all_in_sync(const calico::TyphaReport& report, const std::vector<WantedLink>& wanted) {
  for (const auto& w : wanted) {
    auto event = calico::find_link_event(report, w.remote, w.secret_name);
    if (!event || event->state != calico::LinkState::in_sync)
      return false;
  }
  return true;
}

// Only whole lines are read: a chunk may end in the middle of one.
std::string_view complete_lines(const std::string& text) {
  auto end = text.rfind('\n');
  return end == std::string::npos ? std::string_view() : std::string_view(text).substr(0, end + 1);
}

ReplicaView follow_replica(kube::Client& client, const kube::Json& pod, int since_seconds,
                           const std::vector<WantedLink>& wanted, std::chrono::milliseconds timeout) {
  ReplicaView view;
  view.pod = pod["metadata"].value("name", "");
  if (!pod_ready(pod)) {
    view.error = "pod " + view.pod + " is not Running and Ready";
    return view;
  }
  view.source = "logs";
  std::string text;
  auto on_text = [&](std::string_view chunk) {
    bool had_line_end = chunk.find('\n') != std::string_view::npos;
    text.append(chunk);
    return !had_line_end || !all_in_sync(calico::read_typha_log(complete_lines(text)), wanted);
  };
  kube::LogOptions options;
  options.since_seconds = since_seconds;
  auto followed = client.follow_pod_logs(std::string(calico::kCalicoNamespace), view.pod, options, on_text,
                                         timeout, [] { return interrupted(); });
  view.report = calico::read_typha_log(complete_lines(text));
  if (!followed && view.report.links.empty())
    view.error = followed.error().message;
  return view;
}

}  // namespace

calico::LinkEvent TyphaView::link(const std::string& remote, const std::string& secret_name) const {
  calico::LinkEvent worst;
  worst.remote = remote;
  worst.state = calico::LinkState::unknown;
  if (replicas.empty()) {
    worst.detail = error.empty() ? "no calico-typha pods found" : error;
    return worst;
  }
  bool first = true;
  for (const auto& replica : replicas) {
    calico::LinkEvent event;
    event.remote = remote;
    if (!replica.error.empty()) {
      event.detail = replica.pod + ": " + replica.error;
    } else if (auto found = calico::find_link_event(replica.report, remote, secret_name)) {
      event = *found;
    } else {
      event.detail = replica.pod + " has said nothing about " + remote + " yet";
    }
    if (first || event.state > worst.state)
      worst = event;
    first = false;
  }
  return worst;
}

namespace {

// Lists the calico-typha pods and reads each replica (in parallel) with `read`.
template <class ReadReplica>
TyphaView read_each_replica(kube::Client& client, ReadReplica&& read) {
  TyphaView view;
  auto pods = client.list(kube::resources::pods, std::string(calico::kCalicoNamespace),
                          std::string(calico::kTyphaPodSelector));
  if (!pods) {
    view.error = pods.error().message;
    view.error_code = pods.error().code;
    return view;
  }
  const auto& items = (*pods)["items"];
  view.replicas = parallel_map<ReplicaView>(items.size(), [&](size_t i) { return read(items[i]); });
  return view;
}

}  // namespace

TyphaView read_typha(kube::Client& client, const TyphaReadOptions& options) {
  return read_each_replica(client, [&](const kube::Json& pod) { return read_replica(client, pod, options); });
}

TyphaView follow_typha(kube::Client& client, int since_seconds, const std::vector<WantedLink>& wanted,
                       std::chrono::milliseconds timeout) {
  return read_each_replica(client, [&](const kube::Json& pod) {
    return follow_replica(client, pod, since_seconds, wanted, timeout);
  });
}

}  // namespace meshctl::mesh
