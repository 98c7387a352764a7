// The one table from outcomes and error codes to exit codes (README "Exit
// codes"), and which outcome wins when several things went wrong.
#include <doctest/doctest.h>

#include "mesh/join.h"
#include "mesh/status.h"
#include "mesh/teardown.h"
#include "util/outcome.h"

using meshctl::Errc;
using meshctl::Outcome;
using meshctl::outcome_of;

TEST_CASE("exit codes are the documented ones") {
  CHECK(exit_code(Outcome::ok) == 0);
  CHECK(exit_code(Outcome::failed) == 1);
  CHECK(exit_code(Outcome::usage) == 2);
  CHECK(exit_code(Outcome::links_degraded) == 3);
  CHECK(exit_code(Outcome::unreachable) == 4);
  CHECK(exit_code(Outcome::precondition) == 5);
  CHECK(exit_code(Outcome::stale_failures) == 6);
  CHECK(exit_code(Outcome::interrupted) == 130);
}

TEST_CASE("every transport failure, TLS included, and a refused credential mean unreachable") {
  for (Errc code : {Errc::transport_dns, Errc::transport_refused, Errc::transport_tls,
                    Errc::transport_timeout, Errc::transport_other, Errc::unauthorized, Errc::credential})
    CHECK(outcome_of(code) == Outcome::unreachable);
  CHECK(outcome_of(Errc::config) == Outcome::usage);
  CHECK(outcome_of(Errc::forbidden) == Outcome::precondition);
  CHECK(outcome_of(Errc::server_error) == Outcome::failed);
  CHECK(outcome_of(Errc::interrupted) == Outcome::interrupted);
}

TEST_CASE("the worse outcome wins, in any order") {
  using meshctl::worst;
  CHECK(worst(Outcome::ok, Outcome::stale_failures) == Outcome::stale_failures);
  CHECK(worst(Outcome::stale_failures, Outcome::links_degraded) == Outcome::links_degraded);
  CHECK(worst(Outcome::failed, Outcome::links_degraded) == Outcome::failed);
  CHECK(worst(Outcome::unreachable, Outcome::failed) == Outcome::unreachable);
  CHECK(worst(Outcome::precondition, Outcome::unreachable) == Outcome::unreachable);
  CHECK(worst(Outcome::usage, Outcome::precondition) == Outcome::usage);
}

TEST_CASE("a TLS failure is unreachable in join's preflight and in status alike") {
  meshctl::mesh::JoinReport join;
  join.preflight_problems.push_back({"pdx", Errc::transport_tls, "pdx: certificate verify failed", ""});
  CHECK(join.exit_code() == 4);

  meshctl::mesh::StatusReport status;
  meshctl::mesh::LinkStatus link;
  link.local = "iad";
  link.remote = "pdx";
  link.configured = link.managed = true;
  link.state = meshctl::calico::LinkState::in_sync;
  link.credential.result = "unreachable";  // what check_credential says for a TLS failure
  status.links.push_back(link);
  CHECK(status.exit_code() == 4);
}

TEST_CASE("teardown: an unreachable cluster outranks a failed delete") {
  meshctl::mesh::TeardownReport report;
  CHECK(report.exit_code() == 0);
  report.objects.push_back({"iad", "Secret", "calico-system", "remote-cluster-secret-pdx",
                            meshctl::mesh::Removal::failed, "delete refused"});
  CHECK(report.exit_code() == 1);
  report.unreachable.push_back({"fra", meshctl::Errc::transport_refused, "connection refused", ""});
  CHECK(report.exit_code() == 4);
}
