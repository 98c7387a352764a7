// The stderr views of a join report: preflight refusals and the summary after
// an interruption (e2e 01 and 21 read them from real runs).
#include <doctest/doctest.h>

#include "output/reports.h"

using meshctl::Errc;
using meshctl::mesh::Action;
using meshctl::mesh::JoinReport;

TEST_CASE("every preflight problem is one line, with its hint, that says nothing was written") {
  JoinReport report;
  report.preflight_problems.push_back(
      {"yul", Errc::precondition, "yul: no Calico Enterprise licence", "apply a LicenseKey"});
  report.preflight_problems.push_back(
      {"den", Errc::precondition, "den: DatastoreMigration x is in phase Pending", ""});
  CHECK(meshctl::output::join_problem_lines(report) ==
        "meshctl: error: preflight: yul: no Calico Enterprise licence (hint: apply a LicenseKey); nothing "
        "was written\n"
        "meshctl: error: preflight: den: DatastoreMigration x is in phase Pending; nothing was written\n");
  // JSON keeps the cause and the fix apart.
  auto doc = meshctl::output::join_json(report);
  CHECK(doc["preflightProblems"][0]["message"] == "yul: no Calico Enterprise licence");
  CHECK(doc["preflightProblems"][0]["hint"] == "apply a LicenseKey");
}

TEST_CASE("after an interruption: what was written, what was skipped by name, and the way out") {
  JoinReport report;
  report.interrupted = true;
  meshctl::mesh::ObjectResult written;
  written.cluster = "iad";
  written.kind = "Secret";
  written.namespace_ = "calico-system";
  written.name = "remote-cluster-pdx";
  written.action = Action::create;
  meshctl::mesh::ObjectResult skipped = written;
  skipped.kind = "RemoteClusterConfiguration";
  skipped.namespace_.clear();
  skipped.name = "pdx";
  skipped.action = Action::skipped;
  report.objects = {written, skipped};
  report.links.push_back({"iad", "pdx", meshctl::calico::LinkState::unknown, "", false, false});
  std::string text = meshctl::output::join_interrupt_summary(report);
  CHECK(text.find("meshctl: interrupted: 1 object(s) were written\n") == 0);
  CHECK(text.find("  iad: RemoteClusterConfiguration pdx\n") != std::string::npos);
  CHECK(text.find("links not (completely) written, 1: iad <- pdx") != std::string::npos);
  CHECK(text.find("run the same join again to finish") != std::string::npos);
}

TEST_CASE("status's one-line summary names unreachable clusters and each unhealthy link with its reason") {
  meshctl::mesh::StatusReport report;
  report.clusters.resize(2);
  report.clusters[0].name = "iad";
  report.clusters[0].reachable = true;
  report.clusters[1].name = "fra";
  report.clusters[1].reachable = false;
  report.clusters[1].error = meshctl::Error(meshctl::Errc::transport_refused, "connection refused");
  auto link = [](const char* local, const char* remote, meshctl::calico::LinkState state, const char* name) {
    meshctl::mesh::LinkStatus l;
    l.local = local;
    l.remote = remote;
    l.configured = true;
    l.state = state;
    l.state_name = name;
    l.credential.result = "ok";
    return l;
  };
  report.links.push_back(link("iad", "pdx", meshctl::calico::LinkState::in_sync, "in-sync"));
  report.links.push_back(link("pdx", "iad", meshctl::calico::LinkState::connecting, "connecting"));
  auto unconfigured = link("iad", "fra", meshctl::calico::LinkState::unknown, "not-configured");
  unconfigured.configured = false;
  report.links.push_back(unconfigured);
  CHECK(meshctl::output::status_unhealthy_summary(report) ==
        "fra unreachable; 2 of 3 links not healthy: pdx <- iad connecting, iad <- fra not configured");
  report.clusters[1].reachable = true;
  report.links.resize(1);
  CHECK(meshctl::output::status_unhealthy_summary(report) == "every link healthy");
}
