#include <doctest/doctest.h>

#include "calico/prometheus.h"
#include "calico/typha_log.h"

using namespace meshctl::calico;

TEST_CASE("logrus lines are parsed by structure, not by file:line") {
  auto line = parse_typha_log_line(
      "2024-02-27 01:51:06.156 [INFO][13] wrappedcallbacks.go 487: Sending in-sync update for "
      "RemoteClusterConfiguration(pdx)");
  REQUIRE(line);
  CHECK(line->timestamp == "2024-02-27 01:51:06.156");
  CHECK(line->level == "INFO");
  CHECK(line->message == "Sending in-sync update for RemoteClusterConfiguration(pdx)");
  CHECK_FALSE(parse_typha_log_line("not a log line"));
  CHECK_FALSE(parse_typha_log_line(""));
}

TEST_CASE("the last event per link wins, across file:line changes") {
  const char* log =
      "2024-02-27 01:51:05.000 [INFO][13] watchercache.go 464: Creating syncer for "
      "RemoteClusterConfiguration(pdx)\n"
      "2024-02-27 01:51:06.156 [INFO][13] wrappedcallbacks.go 501: Sending in-sync update for "
      "RemoteClusterConfiguration(pdx)\n"
      "2024-02-27 01:51:07.000 [INFO][13] wrappedcallbacks.go 485: Creating syncer for "
      "RemoteClusterConfiguration(FRA)\n"
      "2024-02-27 01:51:08.000 [WARNING][13] remote.go 99: Connection to datastore has failed - signaling "
      "error to "
      "client.\n"
      "2024-02-27 01:51:08.001 [INFO][13] wrappedcallbacks.go 400: Sending connection failed update for "
      "RemoteClusterConfiguration(fra) error=secrets is forbidden: User \"x\" cannot list\n";
  auto report = read_typha_log(log);
  REQUIRE(report.links.count("pdx") == 1);
  CHECK(report.links["pdx"].state == LinkState::in_sync);
  REQUIRE(report.links.count("fra") == 1);
  CHECK(report.links["fra"].state == LinkState::connection_failed);
  CHECK(report.links["fra"].detail == "secrets is forbidden: User \"x\" cannot list");
  CHECK(report.unattributed.empty());
}

TEST_CASE("restart and delete events") {
  const char* log =
      "2024-02-27 01:51:06.156 [INFO][13] a.go 1: Sending in-sync update for "
      "RemoteClusterConfiguration(pdx)\n"
      "2024-02-27 01:52:00.000 [WARNING][13] a.go 2: Received RemoteClusterConfiguration(pdx). Restart "
      "process to "
      "pick up changes to the connection data.\n";
  auto report = read_typha_log(log);
  CHECK(report.links["pdx"].state == LinkState::restart_required);

  auto deleted = read_typha_log(std::string(log) +
                                "2024-02-27 01:53:00.000 [INFO][13] a.go 3: Handling delete RCC update "
                                "RemoteClusterConfiguration(pdx)\n");
  CHECK(deleted.links.count("pdx") == 0);
}

TEST_CASE("lines without an RCC name are kept apart unless a field names it") {
  const char* log =
      "2024-02-27 01:51:06.156 [WARNING][13] a.go 1: Received new RCC. Cluster access secret was not found "
      "or the "
      "inline datastore config was invalid\n"
      "2024-02-27 01:51:07.000 [WARNING][13] a.go 2: Received new RCC. Unable to get datastore config: no "
      "datastoreType rcc=\"iad\"\n";
  auto report = read_typha_log(log);
  REQUIRE(report.unattributed.size() == 1);
  CHECK(report.unattributed[0].state == LinkState::secret_missing);
  REQUIRE(report.links.count("iad") == 1);
  CHECK(report.links["iad"].state == LinkState::config_incomplete);
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

TEST_CASE("a restarted Typha (new pid) forgets what the old process said") {
  const char* log =
      "2024-02-27 01:51:06.156 [INFO][13] a.go 1: Sending in-sync update for RemoteClusterConfiguration(fra)\n"
      "2024-02-27 01:52:00.000 [WARNING][13] a.go 2: Received updated secret. Restart process to pick up changes to "
      "the connection data. remoteCluster=fra\n"
      "2024-02-27 01:52:01.000 [INFO][14] b.go 3: Typha starting up\n"
      "2024-02-27 01:52:01.100 [WARNING][14] c.go 4: Received new RCC. Unable to get datastore config: secret "
      "calico-system/remote-cluster-fra has no datastoreType\n";
  auto report = read_typha_log(log);
  CHECK(report.links.count("fra") == 0);
  REQUIRE(report.unattributed.size() == 1);
  auto event = find_link_event(report, "fra", "remote-cluster-fra");
  REQUIRE(event);
  CHECK(event->state == LinkState::config_incomplete);
  CHECK(event->remote == "fra");
  CHECK_FALSE(find_link_event(report, "pdx", "remote-cluster-pdx"));
}
