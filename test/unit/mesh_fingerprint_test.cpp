// The judgements made from each cluster's Calico fingerprint before a join
// writes anything (calico/flavour.h, mesh/fingerprint.h). The facts come from
// ../shared/calico-mesh.md ("Calico API modes, versions and licence"); e2e 26
// reads them from the lab's four Calico shapes.
#include <doctest/doctest.h>

#include "calico/flavour.h"
#include "mesh/fingerprint.h"

using meshctl::Errc;
using meshctl::calico::ApiMode;
using meshctl::calico::Flavour;
using meshctl::calico::Licence;
using meshctl::mesh::FlavouredCluster;
using meshctl::mesh::FlavourRules;

namespace {

Flavour flavour(ApiMode mode, const char* version) {
  Flavour f;
  f.api_mode = mode;
  f.enterprise_version = version;
  f.licence = Licence::ok;
  f.vxlan = true;
  f.wireguard = false;
  return f;
}

std::vector<std::string> problems(const std::vector<FlavouredCluster>& clusters, FlavourRules rules = {}) {
  std::vector<std::string> out;
  for (const auto& p : meshctl::mesh::flavour_problems(clusters, rules)) {
    CHECK(p.code == Errc::precondition);
    CHECK(p.message.rfind(p.cluster, 0) == 0);  // every line starts with the cluster to act on
    CHECK_FALSE(p.hint.empty());
    out.push_back(p.message);
  }
  return out;
}

}  // namespace

TEST_CASE("the API mode follows Calico's documented detection") {
  using meshctl::calico::api_mode_from;
  CHECK(api_mode_from({.crd_group = true, .v3_group = true, .api_service_backed = true}) ==
        ApiMode::api_server);
  CHECK(api_mode_from({.crd_group = false, .v3_group = true}) == ApiMode::native_v3);
  CHECK(api_mode_from({.crd_group = true, .v3_group = true}) == ApiMode::v1_crds);
  CHECK(api_mode_from({.crd_group = true, .v3_group = false}) == ApiMode::not_served);
}

TEST_CASE("Enterprise versions: only a known 3.22 or older reads v1 only") {
  using meshctl::calico::minor_version;
  CHECK(minor_version("v3.22.1") == std::make_pair(3, 22));
  CHECK(minor_version("3.24") == std::make_pair(3, 24));
  CHECK(minor_version("v3.23.0-1.0") == std::make_pair(3, 23));
  CHECK_FALSE(minor_version("").has_value());
  CHECK_FALSE(minor_version("master").has_value());
  CHECK_FALSE(minor_version("v3").has_value());
  CHECK(reads_v1_only(flavour(ApiMode::api_server, "v3.21.4")));
  CHECK(reads_v1_only(flavour(ApiMode::api_server, "v3.22.0")));
  CHECK_FALSE(reads_v1_only(flavour(ApiMode::api_server, "v3.23.0")));
  CHECK_FALSE(reads_v1_only(flavour(ApiMode::api_server, "")));  // unknown is not assumed old
}

TEST_CASE("overlay routing is derived as the Calico API server defaults it") {
  using meshctl::calico::derived_overlay_routing;
  Flavour f = flavour(ApiMode::native_v3, "v3.24.0");
  CHECK(derived_overlay_routing(f) == "Enabled");
  f.vxlan = false;
  CHECK(derived_overlay_routing(f) == "Disabled");
  f.wireguard = true;
  CHECK(derived_overlay_routing(f) == "Enabled");
  f.wireguard.reset();
  CHECK_FALSE(derived_overlay_routing(f).has_value());  // cannot tell: not guessed

  std::string note;
  FlavourRules derive;
  CHECK(meshctl::mesh::overlay_routing_for(f, derive, &note) == "Enabled");
  CHECK(note.find("could not read") != std::string::npos);
  FlavourRules asked{false, "Disabled", true};
  CHECK(meshctl::mesh::overlay_routing_for(f, asked, nullptr) == "Disabled");
}

TEST_CASE("a mesh of supported shapes has no problem") {
  Flavour sea = flavour(ApiMode::native_v3, "v3.24.0");
  Flavour ord = flavour(ApiMode::api_server, "v3.23.0");
  Flavour iad = flavour(ApiMode::v1_crds, "v3.22.0");
  CHECK(problems({{"sea", &sea}, {"ord", &ord}}).empty());
  CHECK(problems({{"ord", &ord}, {"iad", &iad}}).empty());
}

TEST_CASE("licence: missing and expired are refused, unknown is not guessed") {
  Flavour iad = flavour(ApiMode::api_server, "v3.23.0");
  iad.licence = Licence::missing;
  auto found = problems({{"iad", &iad}});
  REQUIRE(found.size() == 1);
  CHECK(found[0].find("LicenseKey default is missing") != std::string::npos);
  iad.licence = Licence::expired;
  iad.licence_expiry = "2026-01-01T00:00:00Z";
  found = problems({{"iad", &iad}});
  REQUIRE(found.size() == 1);
  CHECK(found[0].find("expired (2026-01-01T00:00:00Z)") != std::string::npos);
  iad.licence = Licence::unknown;
  CHECK(problems({{"iad", &iad}}).empty());
}

TEST_CASE("a datastore migration in progress is refused unless forced") {
  Flavour den = flavour(ApiMode::api_server, "v3.23.0");
  den.migration_name = "v3-migration";
  for (const char* phase : {"Pending", "Migrating", "Converged"}) {
    den.migration_phase = phase;
    auto found = problems({{"den", &den}});
    REQUIRE(found.size() == 1);
    CHECK(found[0].find(std::string("is in phase ") + phase) != std::string::npos);
    CHECK(problems({{"den", &den}}, FlavourRules{true, "", false}).empty());
  }
  den.migration_phase = "Complete";
  CHECK(problems({{"den", &den}}).empty());
}

TEST_CASE("a 3.22 reader of a native-v3 remote is refused per directed link, with Enabled routing only") {
  Flavour yul = flavour(ApiMode::api_server, "v3.22.0");
  Flavour sea = flavour(ApiMode::native_v3, "v3.24.0");
  Flavour ord = flavour(ApiMode::api_server, "v3.23.0");
  auto found = problems({{"yul", &yul}, {"sea", &sea}, {"ord", &ord}});
  REQUIRE(found.size() == 1);
  CHECK(found[0].rfind("yul <- sea: yul runs Enterprise v3.22.0", 0) == 0);
  CHECK(problems({{"yul", &yul}, {"sea", &sea}}, FlavourRules{false, "Disabled", true}).empty());
}

TEST_CASE("Enabled routing is refused where there is no overlay, only when asked for") {
  Flavour fra = flavour(ApiMode::api_server, "v3.23.0");
  fra.vxlan = false;
  CHECK(problems({{"fra", &fra}}).empty());  // derived: Disabled
  auto found = problems({{"fra", &fra}}, FlavourRules{false, "Enabled", true});
  REQUIRE(found.size() == 1);
  CHECK(found[0].find("no enabled VXLAN IPPool and WireGuard is off") != std::string::npos);
}
