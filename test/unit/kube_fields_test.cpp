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

// Shaped as kube-apiserver 1.33 answers a labelled Secret list and a watch.
TEST_CASE("API answers parse without metadata.managedFields, and nothing else is left out") {
  const std::string list = R"({"kind":"SecretList","apiVersion":"v1",
    "metadata":{"resourceVersion":"812"},
    "items":[{"metadata":{"name":"remote-pdx","namespace":"calico-system","resourceVersion":"700",
        "labels":{"app.kubernetes.io/managed-by":"meshctl"},
        "managedFields":[{"manager":"meshctl","operation":"Apply","apiVersion":"v1",
          "fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:datastoreType":{}}}}]},
      "data":{"datastoreType":"a3ViZXJuZXRlcw==","managedFields":"eA=="},"type":"Opaque"},
      {"metadata":{"name":"remote-fra","managedFields":[]},"managedFields":"kept"}]})";
  const json parsed = meshctl::kube::parse_api_answer(list);
  REQUIRE(parsed.is_object());
  REQUIRE(parsed["items"].size() == 2);
  const json& first = parsed["items"][0];
  CHECK_FALSE(first["metadata"].contains("managedFields"));
  CHECK(first["metadata"]["resourceVersion"] == "700");
  CHECK(first["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "meshctl");
  CHECK(first["data"]["managedFields"] == "eA==");  // a data key of that name is data
  CHECK(first["data"]["datastoreType"] == "a3ViZXJuZXRlcw==");
  CHECK_FALSE(parsed["items"][1]["metadata"].contains("managedFields"));
  CHECK(parsed["items"][1]["managedFields"] == "kept");
  CHECK(parsed["metadata"]["resourceVersion"] == "812");

  const json object = meshctl::kube::parse_api_answer(
      R"({"metadata":{"name":"a","managedFields":[{"manager":"kubectl"}]},"spec":{"x":[{"metadata":{}}]}})");
  CHECK_FALSE(object["metadata"].contains("managedFields"));
  CHECK(object["spec"]["x"][0]["metadata"].is_object());
  const json event = meshctl::kube::parse_api_answer(
      R"({"type":"MODIFIED","object":{"metadata":{"name":"t","managedFields":[{}]},"data":{"token":"dA=="}}})");
  CHECK_FALSE(event["object"]["metadata"].contains("managedFields"));
  CHECK(event["object"]["data"]["token"] == "dA==");

  CHECK(meshctl::kube::parse_api_answer("not json").is_discarded());
  CHECK(meshctl::kube::parse_api_answer(R"({"a":)").is_discarded());
}
