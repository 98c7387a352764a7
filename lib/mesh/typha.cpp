#include "mesh/typha.h"

#include <algorithm>
#include <charconv>
#include <ctime>

#include "calico/names.h"
#include "calico/prometheus.h"
#include "kube/exec_credential.h"
#include "kube/fields.h"
#include "util/interrupt.h"
#include "util/parallel.h"

namespace meshctl::mesh {
namespace {

// Typha serves its gauge only when the Installation sets typhaMetricsPort,
// which the operator passes on as these environment variables.
std::optional<int> metrics_port(const kube::Json& pod) {
  const auto& containers = kube::array_at(kube::object_at(pod, "spec"), "containers");
  for (const auto& container : containers) {
    bool enabled = false;
    int port = 9093;  // Typha's default metrics port
    for (const auto& env : kube::array_at(container, "env")) {
      auto name = kube::string_at(env, "name");
      auto value = kube::string_at(env, "value");
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

std::string pod_name(const kube::Json& pod) {
  return kube::metadata_string(pod, "name");
}

std::string app_label(const kube::Json& pod) {
  return kube::label_of(pod, "k8s-app");
}

// The gauge says which state, the log says why and whether the failure came
// after the syncer had been in sync (the gauge cannot tell; Typha never resets
// it after a recovery).
void add_log_words(calico::TyphaReport& from_gauge, calico::TyphaReport from_log) {
  for (auto& [remote, event] : from_gauge.links) {
    auto it = from_log.links.find(remote);
    if (it == from_log.links.end())
      continue;
    const calico::LinkEvent& logged = it->second;
    if (logged.state == event.state) {
      event.detail = logged.detail;
      event.timestamp = logged.timestamp;
      event.failed_after_sync = logged.failed_after_sync;
    } else if (event.state == calico::LinkState::connection_failed &&
               logged.state == calico::LinkState::in_sync) {
      event.failed_after_sync = true;  // the failure line has left the log
    }
  }
  from_gauge.unattributed = std::move(from_log.unattributed);
}

// A replica's whole log, as it arrives, into `reader`.
Status read_log(kube::ClusterApi& client, const std::string& ns, const std::string& pod,
                const kube::LogOptions& options, calico::LogReader& reader) {
  return client.read_pod_logs(
      ns, pod, options, [&](std::string_view text) { reader.feed(text); }, [&] { reader.restart(); });
}

ReplicaView read_replica(kube::ClusterApi& client, const kube::Json& pod, const TyphaReadOptions& options) {
  ReplicaView view;
  view.pod = pod_name(pod);
  view.deployment = app_label(pod);
  const std::string ns(calico::kCalicoNamespace);
  if (!pod_ready(pod)) {
    view.error = "pod " + view.pod + " is not Running and Ready";
    return view;
  }
  // The gauges and the log are read together: one round trip, not two.
  const auto port = options.since_seconds ? std::nullopt : metrics_port(pod);
  Result<std::string> metrics = Error(Errc::not_found, "not read");
  Status log;
  calico::LogReader reader(calico::LogKind::typha, options.secrets);
  kube::LogOptions log_options;
  log_options.since_seconds = options.since_seconds;
  parallel_map<bool>(port ? 2 : 1, [&](std::size_t i) {
    if (i == 0)
      log = read_log(client, ns, view.pod, log_options, reader);
    else
      metrics = client.pod_proxy_get(ns, view.pod, *port, "metrics");
    return true;
  });
  if (metrics) {
    view.source = "metrics";
    for (const auto& [remote, value] : calico::remote_cluster_gauges(*metrics)) {
      calico::LinkEvent event;
      event.state = calico::link_state_from_gauge(value);
      event.remote = remote;
      event.detail = "remote_cluster_connection_status=" + std::to_string(static_cast<int>(value));
      view.report.links[remote] = event;
    }
  }
  if (!log) {
    if (view.source.empty())
      view.error = log.error().message;
    return view;
  }
  auto from_log = reader.finish();
  if (view.source.empty()) {
    view.source = "logs";
    view.report = std::move(from_log);
  } else {
    add_log_words(view.report, std::move(from_log));
  }
  return view;
}

// calico-kube-controllers: one pod; absent in a cluster without the federation
// controller (or with a licence that does not start it).
std::optional<ReplicaView> read_kube_controllers(kube::ClusterApi& client, const TyphaReadOptions& options) {
  const std::string ns(calico::kCalicoNamespace);
  auto pods = client.list(kube::resources::pods, ns, std::string(calico::kKubeControllersPodSelector));
  if (!pods || kube::items(*pods).empty())
    return std::nullopt;
  const auto& pod = kube::items(*pods)[0];
  ReplicaView view;
  view.pod = pod_name(pod);
  view.source = "kube-controllers";
  if (!pod_ready(pod)) {
    view.error = "pod " + view.pod + " is not Running and Ready";
    return view;
  }
  kube::LogOptions log_options;
  log_options.since_seconds = options.since_seconds;
  calico::LogReader reader(calico::LogKind::kube_controllers);
  if (auto log = read_log(client, ns, view.pod, log_options, reader); !log) {
    view.error = log.error().message;
    return view;
  }
  view.report = reader.finish();
  return view;
}

bool all_in_sync(const calico::TyphaReport& report, const std::vector<std::string>& remotes) {
  for (const auto& remote : remotes) {
    auto it = report.links.find(remote);
    if (it == report.links.end() || it->second.state != calico::LinkState::in_sync)
      return false;
  }
  return true;
}

ReplicaView follow_replica(kube::ClusterApi& client, const kube::Json& pod, const TyphaReadOptions& options,
                           const std::vector<std::string>& remotes, std::chrono::milliseconds timeout) {
  ReplicaView view;
  view.pod = pod_name(pod);
  view.deployment = app_label(pod);
  if (!pod_ready(pod)) {
    view.error = "pod " + view.pod + " is not Running and Ready";
    return view;
  }
  view.source = "logs";
  calico::LogReader reader(calico::LogKind::typha, options.secrets);
  auto on_text = [&](std::string_view chunk) {
    reader.feed(chunk);
    return chunk.find('\n') == std::string_view::npos || !all_in_sync(reader.report(), remotes);
  };
  kube::LogOptions log_options;
  log_options.since_seconds = options.since_seconds;
  auto followed = client.follow_pod_logs(std::string(calico::kCalicoNamespace), view.pod, log_options,
                                         on_text, timeout, [] { return interrupted(); });
  view.report = reader.report();  // whole lines only: the log did not end, it was left
  if (!followed && view.report.links.empty())
    view.error = followed.error().message;
  return view;
}

// Lists the Typha pods of every Typha Deployment and reads each replica (in
// parallel) with `read`.
template <class ReadReplica>
TyphaView read_each_replica(kube::ClusterApi& client, ReadReplica&& read) {
  TyphaView view;
  auto pods = client.list(kube::resources::pods, std::string(calico::kCalicoNamespace),
                          std::string(calico::kTyphaPodSelector));
  if (!pods) {
    view.error = pods.error().message;
    view.error_code = pods.error().code;
    return view;
  }
  const auto& items = kube::items(*pods);
  view.replicas = parallel_map<ReplicaView>(items.size(), [&](size_t i) { return read(items[i]); });
  return view;
}

}  // namespace

LinkVerdict TyphaView::link(const std::string& remote) const {
  LinkVerdict verdict;
  verdict.event.remote = remote;
  if (kube_controllers && kube_controllers->error.empty()) {
    if (auto it = kube_controllers->report.links.find(remote); it != kube_controllers->report.links.end())
      verdict.witness = it->second;
  }
  if (replicas.empty()) {
    verdict.event.detail = error.empty() ? "no calico-typha pods found" : error;
    return verdict;
  }
  bool first = true;
  bool any_said = false;
  for (const auto& replica : replicas) {
    calico::LinkEvent event;
    event.remote = remote;
    if (!replica.error.empty()) {
      event.detail = replica.pod + ": " + replica.error;
    } else if (auto it = replica.report.links.find(remote); it != replica.report.links.end()) {
      event = it->second;
      any_said = true;
    } else {
      event.detail = replica.pod + " has said nothing about " + remote +
                     " since its container started (or the kubelet rotated those lines away)";
    }
    if (first || event.state > verdict.event.state) {
      verdict.event = event;
      verdict.source = replica.error.empty() ? replica.source : "";
    }
    first = false;
  }
  // Every replica silent (e.g. its log rotated past the one in-sync line):
  // calico-kube-controllers' own syncer is the next best witness.
  bool all_readable =
      std::all_of(replicas.begin(), replicas.end(), [](const auto& r) { return r.error.empty(); });
  if (!any_said && all_readable && verdict.witness) {
    verdict.event = *verdict.witness;
    verdict.source = "kube-controllers";
  }
  return verdict;
}

std::vector<std::string> TyphaView::deployments() const {
  std::vector<std::string> out;
  for (const auto& replica : replicas) {
    if (!replica.deployment.empty())
      out.push_back(replica.deployment);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

TyphaView read_typha(kube::ClusterApi& client, const TyphaReadOptions& options) {
  // calico-kube-controllers is read beside the Typha replicas; its view
  // counts only where Typha's pods could be listed.
  TyphaView view;
  std::optional<ReplicaView> kube_controllers;
  parallel_map<bool>(2, [&](std::size_t i) {
    if (i == 0)
      view = read_each_replica(client,
                               [&](const kube::Json& pod) { return read_replica(client, pod, options); });
    else
      kube_controllers = read_kube_controllers(client, options);
    return true;
  });
  if (view.error.empty())
    view.kube_controllers = std::move(kube_controllers);
  return view;
}

TyphaView follow_typha(kube::ClusterApi& client, const TyphaReadOptions& options,
                       const std::vector<std::string>& remotes, std::chrono::milliseconds timeout) {
  return read_each_replica(
      client, [&](const kube::Json& pod) { return follow_replica(client, pod, options, remotes, timeout); });
}

Result<std::vector<std::string>> restart_typha(kube::ClusterApi& client) {
  kube::Json patch = {
      {"spec",
       {{"template",
         {{"metadata", {{"annotations", {{"kubectl.kubernetes.io/restartedAt", kube::now_rfc3339()}}}}}}}}}};
  std::vector<std::string> restarted;
  for (auto name : calico::kTyphaDeployments) {
    auto patched = client.merge_patch(kube::resources::deployments, std::string(calico::kCalicoNamespace),
                                      std::string(name), patch);
    if (!patched && patched.error().code == Errc::not_found)
      continue;  // the non-cluster-host Typha is optional
    if (!patched)
      return patched.error();
    restarted.emplace_back(name);
  }
  return restarted;
}

}  // namespace meshctl::mesh
