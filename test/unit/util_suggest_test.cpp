#include <doctest/doctest.h>

#include "util/suggest.h"

TEST_CASE("did you mean: typos find their word, unrelated words find nothing") {
  const std::vector<std::string> commands = {"join", "status", "leave", "teardown", "render", "rotate"};
  CHECK(meshctl::closest_word("joni", commands) == "join");
  CHECK(meshctl::closest_word("stauts", commands) == "status");
  CHECK(meshctl::closest_word("teardwon", commands) == "teardown");
  CHECK(meshctl::closest_word("rotat", commands) == "rotate");
  CHECK_FALSE(meshctl::closest_word("deploy", commands));
  CHECK_FALSE(meshctl::closest_word("x", {"--timeout"}));
  CHECK(meshctl::closest_word("--timeot", {"--token", "--timeout", "--token-ttl"}) == "--timeout");
}
