#include <doctest/doctest.h>

#include "calico/prometheus.h"
#include "calico/typha_log.h"

using namespace meshctl::calico;

// Lines below are as Enterprise Typha and calico-kube-controllers write them:
// message texts and fields from the public Enterprise source
// (libcalico-go/lib/backend/syncersv1/remotecluster/wrappedcallbacks.go,
// watchersyncer/watchercache.go, typha/pkg/daemon/daemon.go,
// kube-controllers/.../federatedservices), formatted as Calico's logutils
// formatter does (fields sorted by key, strings quoted, errors not).
namespace {

std::string lines(std::initializer_list<const char*> items) {
  std::string out;
  for (const char* item : items)
    out += std::string(item) + "\n";
  return out;
}

constexpr const char* kNewRcc =
    "2026-03-31 11:40:00.101 [INFO][7] typha/wrappedcallbacks.go 210: Handling new RCC update "
    "Key=RemoteClusterConfiguration(pdx)";
constexpr const char* kCreating =
    "2026-03-31 11:40:00.110 [INFO][7] typha/wrappedcallbacks.go 448: Creating syncer for "
    "RemoteClusterConfiguration(pdx)";
constexpr const char* kInSync =
    "2026-03-31 11:40:01.530 [INFO][7] typha/wrappedcallbacks.go 501: Sending in-sync update for "
    "RemoteClusterConfiguration(pdx)";
constexpr const char* kWatchRestart =
    "2026-03-31 11:51:29.000 [INFO][7] typha/watchercache.go 184: Watch of resource finished. Attempting to "
    "restart it... ListRoot=\".../v3/pc.org/nodes\" event=Error:too old resource version";
constexpr const char* kDatastoreFailed =
    "2026-03-31 11:52:09.006 [WARNING][7] typha/watchercache.go 279: Connection to datastore has failed - "
    "signaling error to client. ListRoot=\".../v3/pc.org/workloadendpoints\"";
constexpr const char* kFailed =
    "2026-03-31 11:52:09.007 [INFO][7] typha/wrappedcallbacks.go 533: Sending connection failed update for "
    "RemoteClusterConfiguration(pdx) error=Get \"https://10.0.0.1:6443/api/v1/pods?limit=500\": dial tcp "
    "10.0.0.1:6443: connect: connection refused";

}  // namespace

TEST_CASE("logrus lines: message and sorted fields, quoted strings and unquoted errors") {
  auto line = parse_typha_log_line(kFailed);
  REQUIRE(line);
  CHECK(line->timestamp == "2026-03-31 11:52:09.007");
  CHECK(line->level == "INFO");
  CHECK(line->pid == "7");
  CHECK(line->message == "Sending connection failed update for RemoteClusterConfiguration(pdx)");
  REQUIRE(line->field("error"));
  CHECK(*line->field("error") ==
        "Get \"https://10.0.0.1:6443/api/v1/pods?limit=500\": dial tcp 10.0.0.1:6443: connect: connection "
        "refused");

  auto secret = parse_typha_log_line(
      "2026-03-31 12:00:02.117 [WARNING][7] typha/wrappedcallbacks.go 281: Received Secret update. Cluster "
      "access "
      "secret was not found or the inline datastore config was invalid Namespace=\"calico-system\" "
      "Secret=\"pdx-secret\"");
  REQUIRE(secret);
  CHECK(secret->message ==
        "Received Secret update. Cluster access secret was not found or the inline datastore config was "
        "invalid");
  CHECK(*secret->field("Namespace") == "calico-system");
  CHECK(*secret->field("Secret") == "pdx-secret");

  // An unquoted error ends only where a later known key begins.
  auto watcher = parse_typha_log_line(
      "2026-03-31 11:51:30.000 [WARNING][7] typha/watchercache.go 388: Failed to create watcher; will retry. "
      "ListRoot=\".../v3/pc.org/workloadendpoints\" error=dial tcp: lookup x=y: no such host "
      "errorsWithoutProgress=3 performFullResync=false");
  REQUIRE(watcher);
  CHECK(watcher->message == "Failed to create watcher; will retry.");
  CHECK(*watcher->field("error") == "dial tcp: lookup x=y: no such host");
  CHECK(*watcher->field("errorsWithoutProgress") == "3");
  CHECK(*watcher->field("performFullResync") == "false");

  // Typha before July 2024 wrote no component prefix; kube-controllers has its own.
  auto old = parse_typha_log_line(
      "2024-02-27 01:51:06.156 [INFO][13] wrappedcallbacks.go 487: Sending in-sync update for "
      "RemoteClusterConfiguration(pdx)");
  REQUIRE(old);
  CHECK(old->message == "Sending in-sync update for RemoteClusterConfiguration(pdx)");
  CHECK(old->fields.empty());

  CHECK_FALSE(parse_typha_log_line("not a log line"));
  CHECK_FALSE(parse_typha_log_line(""));
}

TEST_CASE("in sync once, then thousands of chatter lines: still in sync") {
  std::string log = lines({kNewRcc, kCreating, kInSync});
  for (int i = 0; i < 5000; ++i)
    log += std::string(kWatchRestart) + "\n";
  auto report = read_typha_log(log);
  REQUIRE(report.links.count("pdx") == 1);
  CHECK(report.links["pdx"].state == LinkState::in_sync);
  CHECK(report.links["pdx"].timestamp == "2026-03-31 11:40:01.530");
}

TEST_CASE("a failure after in-sync is marked: Typha never takes it back") {
  auto report = read_typha_log(lines({kCreating, kInSync, kDatastoreFailed, kFailed, kWatchRestart}));
  REQUIRE(report.links.count("pdx") == 1);
  const auto& pdx = report.links["pdx"];
  CHECK(pdx.state == LinkState::connection_failed);
  CHECK(pdx.failed_after_sync);
  CHECK(pdx.detail.find("connection refused") != std::string::npos);

  // Failing from the start (a bad token, say) is not stale: nothing ever worked.
  auto never = read_typha_log(lines({kCreating, kFailed}));
  CHECK(never.links["pdx"].state == LinkState::connection_failed);
  CHECK_FALSE(never.links["pdx"].failed_after_sync);

  // A re-created syncer (Secret invalid, then valid again) starts afresh.
  auto recreated = read_typha_log(lines({kCreating, kInSync, kFailed, kCreating, kFailed}));
  CHECK_FALSE(recreated.links["pdx"].failed_after_sync);
}

TEST_CASE("Secret lines are attributed by the exact Secret, never by substring") {
  const SecretReaders readers = {{"calico-system/remote-cluster-pdx", {"pdx"}},
                                 {"calico-system/remote-cluster-pdx2", {"pdx2"}}};
  const char* in_sync_both[] = {
      "2026-03-31 11:40:01.530 [INFO][7] typha/wrappedcallbacks.go 501: Sending in-sync update for "
      "RemoteClusterConfiguration(pdx)",
      "2026-03-31 11:40:01.531 [INFO][7] typha/wrappedcallbacks.go 501: Sending in-sync update for "
      "RemoteClusterConfiguration(pdx2)"};
  auto log =
      lines({in_sync_both[0], in_sync_both[1],
             "2026-03-31 12:00:02.117 [WARNING][7] typha/wrappedcallbacks.go 281: Received Secret update. "
             "Cluster access secret was not found or the inline datastore config was invalid "
             "Namespace=\"calico-system\" Secret=\"remote-cluster-pdx2\"",
             "2026-03-31 12:00:02.118 [INFO][7] typha/wrappedcallbacks.go 314: Handling Secret update as "
             "invalidating remote cluster Namespace=\"calico-system\" Secret=\"remote-cluster-pdx2\"",
             "2026-03-31 12:00:02.119 [INFO][7] typha/wrappedcallbacks.go 577: Stop syncer for "
             "RemoteClusterConfiguration(pdx2)"});
  auto report = read_typha_log(log, readers);
  CHECK(report.links["pdx"].state == LinkState::in_sync);
  CHECK(report.links["pdx2"].state == LinkState::secret_missing);
  CHECK(report.links["pdx2"].detail.find("Secret calico-system/remote-cluster-pdx2") != std::string::npos);
  CHECK(report.unattributed.empty());

  // Without knowing who reads the Secret, the line belongs to nobody.
  auto unknown = read_typha_log(log);
  CHECK(unknown.links["pdx"].state == LinkState::in_sync);
  REQUIRE(unknown.unattributed.size() == 2);
}

TEST_CASE("an invalidated Secret stops the syncer without a restart") {
  const SecretReaders readers = {{"calico-system/remote-cluster-fra", {"fra"}}};
  auto report = read_typha_log(
      lines({"2026-03-31 11:40:01.530 [INFO][7] typha/wrappedcallbacks.go 501: Sending in-sync update for "
             "RemoteClusterConfiguration(fra)",
             "2026-03-31 12:01:00.000 [WARNING][7] typha/wrappedcallbacks.go 266: Received Secret update. "
             "Unable to "
             "get datastore config: secret has no datastoreType Namespace=\"calico-system\" "
             "Secret=\"remote-cluster-fra\"",
             "2026-03-31 12:01:00.001 [INFO][7] typha/wrappedcallbacks.go 314: Handling Secret update as "
             "invalidating remote cluster Namespace=\"calico-system\" Secret=\"remote-cluster-fra\"",
             "2026-03-31 12:01:00.002 [INFO][7] typha/wrappedcallbacks.go 577: Stop syncer for "
             "RemoteClusterConfiguration(fra)"}),
      readers);
  CHECK(report.links["fra"].state == LinkState::config_incomplete);
  CHECK(report.links["fra"].detail.find("no datastoreType") != std::string::npos);

  // "Stop syncer" alone (its cause rotated away) still ends the in-sync.
  auto bare = read_typha_log(lines({kInSync,
                                    "2026-03-31 12:00:02.119 [INFO][7] typha/wrappedcallbacks.go 577: "
                                    "Stop syncer for RemoteClusterConfiguration(pdx)"}));
  CHECK(bare.links["pdx"].state == LinkState::config_incomplete);
}

TEST_CASE("RCC-caused lines carry Key=; restart and delete") {
  auto report = read_typha_log(
      lines({kInSync,
             "2026-03-31 12:01:00.000 [WARNING][7] typha/wrappedcallbacks.go 266: Received modified RCC. "
             "Unable to get "
             "datastore config: secret has no datastoreType Key=RemoteClusterConfiguration(iad)",
             "2026-03-31 12:02:00.000 [WARNING][7] typha/wrappedcallbacks.go 319: Received modified RCC. "
             "Restart process "
             "to pick up changes to the connection data. Key=RemoteClusterConfiguration(pdx)"}));
  CHECK(report.links["iad"].state == LinkState::config_incomplete);
  CHECK(report.links["pdx"].state == LinkState::restart_required);

  auto daemon = read_typha_log(
      lines({kInSync,
             "2026-03-31 12:02:00.001 [WARNING][7] typha/daemon.go 302: received remote cluster restart: "
             "RemoteClusterConfiguration (pdx) changed, restart required"}));
  CHECK(daemon.links["pdx"].state == LinkState::restart_required);

  auto deleted = read_typha_log(
      lines({kInSync,
             "2026-03-31 12:05:00.000 [INFO][7] typha/wrappedcallbacks.go 232: Handling delete RCC update "
             "Key=RemoteClusterConfiguration(pdx)",
             "2026-03-31 12:05:00.001 [INFO][7] typha/wrappedcallbacks.go 577: Stop syncer for "
             "RemoteClusterConfiguration(pdx)"}));
  CHECK(deleted.links.count("pdx") == 0);
}

TEST_CASE("a new process forgets what the old one said") {
  auto report = read_typha_log(lines(
      {kInSync, "2026-03-31 12:02:00.002 [WARNING][7] typha/daemon.go 459: Restart signalled, shutting down",
       "2026-03-31 12:02:05.000 [INFO][8] typha/wrappedcallbacks.go 448: Creating syncer for "
       "RemoteClusterConfiguration(pdx)"}));
  CHECK(report.links["pdx"].state == LinkState::connecting);
}

TEST_CASE("calico-kube-controllers' status lines: a second witness") {
  auto report = read_kube_controllers_log(
      lines({"2026-03-31 11:40:00.600 [INFO][1] kube-controllers/fedderatedservices_controller.go 398: "
             "Remote cluster "
             "status update Error=\"\" Key=RemoteClusterStatus(name=pdx) Status=\"Connecting\"",
             "2026-03-31 11:40:01.600 [INFO][1] kube-controllers/fedderatedservices_controller.go 398: "
             "Remote cluster "
             "status update Error=\"\" Key=RemoteClusterStatus(name=pdx) Status=\"InSync\"",
             "2026-03-31 11:40:01.700 [INFO][1] kube-controllers/fedderatedservices_controller.go 398: "
             "Remote cluster "
             "status update Error=\"dial tcp: connection refused\" Key=RemoteClusterStatus(name=fra) "
             "Status=\"ConnectionFailed\"",
             "2026-03-31 11:40:02.000 [INFO][1] kube-controllers/fedderatedservices_controller.go 398: "
             "Remote cluster "
             "status update Error=\"\" Key=RemoteClusterStatus(name=iad) Status=\"InSync\"",
             "2026-03-31 11:41:00.000 [INFO][1] kube-controllers/fedderatedservices_controller.go 410: "
             "Remote cluster "
             "deleted Key=RemoteClusterStatus(name=iad)"}));
  CHECK(report.links["pdx"].state == LinkState::in_sync);
  CHECK(report.links["fra"].state == LinkState::connection_failed);
  CHECK(report.links["fra"].detail == "dial tcp: connection refused");
  CHECK_FALSE(report.links["fra"].failed_after_sync);
  CHECK(report.links.count("iad") == 0);
}

TEST_CASE("gauge values map to states in Typha's order, not the enum's") {
  CHECK(link_state_from_gauge(0) == LinkState::connection_failed);
  CHECK(link_state_from_gauge(1) == LinkState::connecting);
  CHECK(link_state_from_gauge(2) == LinkState::in_sync);
  CHECK(link_state_from_gauge(3) == LinkState::resyncing);
  CHECK(link_state_from_gauge(4) == LinkState::restart_required);
  CHECK(link_state_from_gauge(5) == LinkState::config_incomplete);
  CHECK(link_state_from_gauge(9) == LinkState::unknown);
}

TEST_CASE("gauge values outside int range, inf and nan read as unknown (found by fuzz_prometheus)") {
  CHECK(link_state_from_gauge(1.709e12) == LinkState::unknown);
  CHECK(link_state_from_gauge(-1e300) == LinkState::unknown);
  CHECK(link_state_from_gauge(-1) == LinkState::unknown);
  auto gauges = remote_cluster_gauges(
      "remote_cluster_connection_status{remote_cluster_name=\"a\"} inf\n"
      "remote_cluster_connection_status{remote_cluster_name=\"b\"} nan\n");
  REQUIRE(gauges.size() == 2);
  CHECK(link_state_from_gauge(gauges["a"]) == LinkState::unknown);
  CHECK(link_state_from_gauge(gauges["b"]) == LinkState::unknown);
}

TEST_CASE("prometheus text: labels, escapes, comments, junk") {
  const char* text =
      "# HELP remote_cluster_connection_status status\n"
      "# TYPE remote_cluster_connection_status gauge\n"
      "remote_cluster_connection_status{remote_cluster_name=\"pdx\"} 2\n"
      "remote_cluster_connection_status{remote_cluster_name=\"fra\",x=\"a\\\"b\"} 0 1700000000\n"
      "other_metric 7.5\n"
      "broken{remote_cluster_name=\"x\" 1\n"
      "also_broken{a=\"b\"} notanumber\n";
  auto samples = parse_prometheus_text(text);
  CHECK(samples.size() == 3);
  auto gauges = remote_cluster_gauges(text);
  CHECK(gauges.size() == 2);
  CHECK(gauges["pdx"] == doctest::Approx(2));
  CHECK(gauges["fra"] == doctest::Approx(0));
}

namespace {

// Every field of a report, for comparing two readings of one log.
std::string describe(const TyphaReport& report) {
  std::string out;
  for (const auto& [remote, e] : report.links) {
    out += remote + " " + std::to_string(static_cast<int>(e.state)) + " " + e.timestamp + " " +
           (e.failed_after_sync ? "stale " : "") + e.detail + "\n";
  }
  for (const auto& e : report.unattributed)
    out += "unattributed " + e.timestamp + " " + e.detail + "\n";
  return out;
}

}  // namespace

TEST_CASE("LogReader: a log read in pieces of any size says what the whole log says") {
  const std::string log =
      lines({kNewRcc, kCreating, kInSync, kWatchRestart, kDatastoreFailed, kFailed,
             "2026-03-31 12:02:00.002 [WARNING][7] typha/daemon.go 459: Restart signalled, shutting down",
             "2026-03-31 12:02:05.000 [INFO][8] typha/wrappedcallbacks.go 448: Creating syncer for "
             "RemoteClusterConfiguration(pdx)",
             "2026-03-31 12:02:06.000 [INFO][8] typha/wrappedcallbacks.go 501: Sending in-sync update for "
             "RemoteClusterConfiguration(pdx)",
             "2026-03-31 12:03:00.000 [INFO][8] typha/wrappedcallbacks.go 533: Sending connection failed "
             "update for RemoteClusterConfiguration(pdx) error=dial tcp 10.0.0.1:6443: i/o timeout"});
  const std::string whole = describe(read_typha_log(log));
  REQUIRE(whole.find("stale") != std::string::npos);  // the last process's failure after its in-sync
  for (std::size_t size : {1u, 2u, 7u, 64u, 100u, 4096u}) {
    CAPTURE(size);
    LogReader reader(LogKind::typha);
    for (std::size_t at = 0; at < log.size(); at += size)
      reader.feed(std::string_view(log).substr(at, size));
    CHECK(describe(reader.finish()) == whole);
  }
}

TEST_CASE("LogReader: only complete lines count until the log ends; a restart reads afresh") {
  LogReader reader(LogKind::typha);
  const std::string in_sync = std::string(kInSync) + "\n";
  reader.feed(lines({kCreating}));
  reader.feed(std::string_view(in_sync).substr(0, 40));  // the in-sync line, unfinished
  CHECK(reader.report().links["pdx"].state == LinkState::connecting);
  reader.feed(std::string_view(in_sync).substr(40));
  CHECK(reader.report().links["pdx"].state == LinkState::in_sync);

  // The request was sent again: the log comes again from its start, and what
  // the first attempt read is not counted twice (or kept when it differs).
  reader.restart();
  CHECK(reader.report().links.empty());
  reader.feed(lines({kCreating}));
  reader.feed(kFailed);  // the last line, without a line end
  CHECK(reader.report().links["pdx"].state == LinkState::connecting);
  auto report = reader.finish();
  CHECK(report.links["pdx"].state == LinkState::connection_failed);
  CHECK_FALSE(report.links["pdx"].failed_after_sync);  // nothing was in sync in this reading
}

TEST_CASE("LogReader: calico-kube-controllers' log in pieces") {
  const std::string log =
      lines({"2026-03-31 11:40:01.600 [INFO][1] kube-controllers/fedderatedservices_controller.go 398: "
             "Remote cluster status update Error=\"\" Key=RemoteClusterStatus(name=pdx) Status=\"InSync\"",
             "2026-03-31 11:40:01.700 [INFO][1] kube-controllers/fedderatedservices_controller.go 398: "
             "Remote cluster status update Error=\"dial tcp: connection refused\" "
             "Key=RemoteClusterStatus(name=pdx) Status=\"ConnectionFailed\""});
  LogReader reader(LogKind::kube_controllers);
  for (std::size_t at = 0; at < log.size(); at += 13)
    reader.feed(std::string_view(log).substr(at, 13));
  auto report = reader.finish();
  CHECK(report.links["pdx"].state == LinkState::connection_failed);
  CHECK(report.links["pdx"].failed_after_sync);
  CHECK(describe(report) == describe(read_kube_controllers_log(log)));
}
