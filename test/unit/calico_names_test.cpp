#include <doctest/doctest.h>

#include "calico/names.h"

using meshctl::calico::is_dns1123_label;
using meshctl::calico::mesh_name_from_context;

TEST_CASE("mesh names are DNS-1123 labels derived from contexts") {
  CHECK(mesh_name_from_context("iad") == "iad");
  CHECK(mesh_name_from_context("Prod_US.East") == "prod-us-east");
  CHECK(mesh_name_from_context("arn:aws:eks:us-east-1:123456789012:cluster/Prod-1") == "prod-1");
  CHECK(mesh_name_from_context("gke_my-project_us-central1-a_blue") == "blue");
  CHECK(mesh_name_from_context("--") == "");
  CHECK(mesh_name_from_context(std::string(80, 'a')).size() == 63);
  CHECK(is_dns1123_label(mesh_name_from_context("kind-kind@local")));
}

TEST_CASE("DNS-1123 label validation") {
  CHECK(is_dns1123_label("pdx"));
  CHECK(is_dns1123_label("a-1"));
  CHECK_FALSE(is_dns1123_label(""));
  CHECK_FALSE(is_dns1123_label("-a"));
  CHECK_FALSE(is_dns1123_label("A"));
  CHECK_FALSE(is_dns1123_label("a_b"));
}

TEST_CASE("the ownership selector is the managed-by label") {
  CHECK(meshctl::calico::managed_selector() == "app.kubernetes.io/managed-by=meshctl");
}
