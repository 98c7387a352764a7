// JoinReport::exit_code: which outcome wins when several things went wrong
// (README "Exit codes"). The lab scenarios 20-22 produce these reports for real.
#include <doctest/doctest.h>

#include "mesh/join.h"

using meshctl::Errc;
using meshctl::calico::LinkState;
using meshctl::mesh::Action;
using meshctl::mesh::JoinReport;
using meshctl::mesh::LinkResult;
using meshctl::mesh::ObjectResult;

namespace {

LinkResult link(const char* local, const char* remote, bool written, LinkState state) {
  LinkResult l;
  l.local = local;
  l.remote = remote;
  l.written = written;
  l.verified = written;
  l.state = state;
  return l;
}

}  // namespace

TEST_CASE("a join whose links are all in sync exits 0") {
  JoinReport r;
  r.links = {link("iad", "pdx", true, LinkState::in_sync), link("pdx", "iad", true, LinkState::in_sync)};
  CHECK(r.exit_code() == 0);
}

TEST_CASE("a refused write exits 1; the same write failing because the cluster went away exits 4") {
  JoinReport r;
  ObjectResult o;
  o.cluster = "fra";
  o.action = Action::failed;
  o.error_code = Errc::forbidden;
  r.objects = {o};
  r.links = {link("fra", "iad", false, LinkState::unknown), link("iad", "fra", true, LinkState::in_sync)};
  CHECK(r.exit_code() == 1);

  r.unreachable = {"fra"};
  CHECK(r.exit_code() == 4);
}

TEST_CASE("a cluster lost while verifying exits 4, not 3") {
  JoinReport r;
  r.links = {link("fra", "iad", true, LinkState::unknown),
             link("iad", "fra", true, LinkState::connection_failed)};
  CHECK(r.exit_code() == 3);
  r.unreachable = {"fra"};
  CHECK(r.exit_code() == 4);
}

TEST_CASE("an interrupt wins over every failure after preflight") {
  JoinReport r;
  r.interrupted = true;
  r.unreachable = {"fra"};
  r.links = {link("fra", "iad", false, LinkState::unknown)};
  CHECK(r.exit_code() == 130);
}
