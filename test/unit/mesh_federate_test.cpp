// federate's pure parts: the selector it writes, and how the endpoints of a
// federated Service are told apart by source (e2e 30 runs it on the lab).
#include <doctest/doctest.h>

#include "mesh/federate.h"

using meshctl::kube::Json;

TEST_CASE("the federated Service's selector is a Calico selector on the label federate puts") {
  meshctl::mesh::FederateOptions o;
  o.label_key = "federation";
  o.label_value = "yes";
  o.name = "testdb-federated";
  CHECK(meshctl::mesh::federation_selector(o) == "federation == \"yes\"");
  CHECK(meshctl::mesh::federation_field_manager(o) == "meshctl-federate-testdb-federated");
}

TEST_CASE("endpoints by source: <rcc>/<pod> came from that remote, a bare pod name is local") {
  // As the controller writes them (calico-mesh.md): remote targetRefs prefixed with the RCC name.
  Json endpoints = {
      {"subsets",
       {{{"addresses",
          {{{"ip", "10.10.0.5"},
            {"targetRef", {{"kind", "Pod"}, {"name", "testdb-0"}, {"namespace", "redis"}}}},
           {{"ip", "10.11.0.7"},
            {"targetRef", {{"kind", "Pod"}, {"name", "pdx/testdb-0"}, {"namespace", "redis"}}}},
           {{"ip", "10.11.0.8"},
            {"targetRef", {{"kind", "Pod"}, {"name", "pdx/testdb-1"}, {"namespace", "redis"}}}},
           {{"ip", "10.12.0.9"}}}},
         {"notReadyAddresses", {{{"ip", "10.12.0.3"}, {"targetRef", {{"name", "fra/testdb-0"}}}}}},
         {"ports", {{{"name", "redis"}, {"port", 6379}}}}}}}};
  auto by = meshctl::mesh::endpoints_by_source(endpoints, "iad");
  CHECK(by == std::map<std::string, int>{{"iad", 2}, {"pdx", 2}});  // not-ready addresses are not counted
  CHECK(meshctl::mesh::endpoints_by_source(Json::object(), "iad").empty());
}
