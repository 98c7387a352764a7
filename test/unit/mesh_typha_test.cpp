#include <doctest/doctest.h>

#include "mesh/credential.h"
#include "mesh/typha.h"

using namespace meshctl;
using calico::LinkEvent;
using calico::LinkState;

namespace {

mesh::ReplicaView replica(const std::string& pod, std::initializer_list<LinkEvent> events) {
  mesh::ReplicaView view;
  view.pod = pod;
  view.source = "logs";
  for (const auto& e : events)
    view.report.links[e.remote] = e;
  return view;
}

LinkEvent event(const std::string& remote, LinkState state, bool after_sync = false) {
  return LinkEvent{state, remote, "words", "2026-03-31 11:40:01.530", after_sync};
}

}  // namespace

TEST_CASE("a link is as healthy as its worst Typha replica") {
  mesh::TyphaView view;
  view.replicas = {replica("calico-typha-a", {event("pdx", LinkState::in_sync)}),
                   replica("calico-typha-b", {event("pdx", LinkState::connection_failed)})};
  auto verdict = view.link("pdx");
  CHECK(verdict.event.state == LinkState::connection_failed);
  CHECK(verdict.source == "logs");

  // A replica that cannot be read cannot vouch for the link.
  view.replicas[1] = replica("calico-typha-b", {});
  view.replicas[1].error = "pod calico-typha-b is not Running and Ready";
  CHECK(view.link("pdx").event.state == LinkState::unknown);
}

TEST_CASE("calico-kube-controllers speaks only when every Typha replica is silent") {
  mesh::TyphaView view;
  view.replicas = {replica("calico-typha-a", {})};  // e.g. its log rotated past the one in-sync line
  view.kube_controllers = replica("calico-kube-controllers-x", {event("pdx", LinkState::in_sync)});
  auto verdict = view.link("pdx");
  CHECK(verdict.event.state == LinkState::in_sync);
  CHECK(verdict.source == "kube-controllers");

  // Typha's own word wins; the witness is still shown.
  view.replicas = {replica("calico-typha-a", {event("pdx", LinkState::connection_failed)})};
  verdict = view.link("pdx");
  CHECK(verdict.event.state == LinkState::connection_failed);
  REQUIRE(verdict.witness);
  CHECK(verdict.witness->state == LinkState::in_sync);
}

TEST_CASE("a failure after in-sync is stale only while the stored credential works") {
  mesh::CredentialCheck ok;
  ok.result = "ok";
  mesh::CredentialCheck refused;
  refused.result = "unauthorized";
  CHECK(mesh::is_stale_failure(event("pdx", LinkState::connection_failed, true), ok));
  CHECK_FALSE(mesh::is_stale_failure(event("pdx", LinkState::connection_failed, true), refused));
  CHECK_FALSE(mesh::is_stale_failure(event("pdx", LinkState::connection_failed, false), ok));
  CHECK_FALSE(mesh::is_stale_failure(event("pdx", LinkState::secret_missing, true), ok));
  auto detail = mesh::stale_failure_detail("pdx", event("pdx", LinkState::connection_failed, true), "CMD");
  CHECK(detail.find("pdx failed (at 2026-03-31 11:40:01.530: words)") != std::string::npos);
  CHECK(detail.ends_with("Re-verify with: CMD"));
  CHECK(mesh::typha_restart_command("iad", {}) ==
        "kubectl --context iad rollout restart deployment/calico-typha -n calico-system");
  CHECK(
      mesh::typha_restart_command("iad", {"calico-typha", "calico-typha-noncluster-host"}) ==
      "kubectl --context iad rollout restart deployment/calico-typha deployment/calico-typha-noncluster-host "
      "-n calico-system");
}
