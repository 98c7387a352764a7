// Defensive field reads: what a server may send (missing, null or mistyped
// fields) reads as empty instead of ending the process.
#include <doctest/doctest.h>

#include "kube/fields.h"

using nlohmann::json;

TEST_CASE("fields that are missing, null or of another type read as empty") {
  const json rcc_without_spec = {{"metadata", {{"name", "pdx"}}}};
  CHECK(meshctl::kube::object_at(rcc_without_spec, "spec").empty());
  CHECK(meshctl::kube::string_at(meshctl::kube::object_at(meshctl::kube::object_at(rcc_without_spec, "spec"),
                                                          "clusterAccessSecret"),
                                 "name") == "");
  const json odd = {{"metadata", nullptr}, {"items", "not a list"}, {"spec", {{"containers", 3}}}};
  CHECK(meshctl::kube::metadata_string(odd, "name") == "");
  CHECK(meshctl::kube::label_of(odd, "k8s-app") == "");
  CHECK(meshctl::kube::annotation_of(odd, "x") == "");
  CHECK(meshctl::kube::items(odd).empty());
  CHECK(meshctl::kube::array_at(meshctl::kube::object_at(odd, "spec"), "containers").empty());
  CHECK(meshctl::kube::items(json()).empty());
  CHECK(meshctl::kube::string_at(json::array(), "x") == "");
}

TEST_CASE("fields that are there are read") {
  const json pod = {{"metadata",
                     {{"name", "calico-typha-1"},
                      {"labels", {{"k8s-app", "calico-typha"}}},
                      {"annotations", {{"meshctl.projectcalico.org/adopted", "2026-11-30T00:00:00Z"}}}}},
                    {"spec", {{"containers", {{{"name", "calico-typha"}}}}}}};
  CHECK(meshctl::kube::metadata_string(pod, "name") == "calico-typha-1");
  CHECK(meshctl::kube::label_of(pod, "k8s-app") == "calico-typha");
  CHECK(meshctl::kube::annotation_of(pod, "meshctl.projectcalico.org/adopted") == "2026-11-30T00:00:00Z");
  CHECK(meshctl::kube::array_at(meshctl::kube::object_at(pod, "spec"), "containers").size() == 1);
  CHECK(meshctl::kube::items(json{{"items", {1, 2}}}).size() == 2);
}
