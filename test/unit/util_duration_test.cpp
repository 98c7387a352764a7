// Durations as kubectl users type them (Go syntax), plus days and bare seconds.
#include <doctest/doctest.h>

#include "util/duration.h"

using meshctl::parse_duration;
using std::chrono::milliseconds;

TEST_CASE("Go duration syntax, days and bare seconds") {
  CHECK(*parse_duration("90s") == milliseconds(90000));
  CHECK(*parse_duration("1h30m") == milliseconds(5400000));
  CHECK(*parse_duration("500ms") == milliseconds(500));
  CHECK(*parse_duration("1.5h") == milliseconds(5400000));
  CHECK(*parse_duration("30d") == milliseconds(30LL * 86400000));
  CHECK(*parse_duration("0") == milliseconds(0));
  CHECK(*parse_duration("45") == milliseconds(45000));
  CHECK(*parse_duration("2m0s") == milliseconds(120000));
}

TEST_CASE("anything else is a usage error with an example") {
  for (const char* bad : {"", "-5s", "5x", "h", "1..5s", ".s", "5 s", "1e3s", "99999999999999999s"}) {
    INFO(bad);
    auto parsed = parse_duration(bad);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().code == meshctl::Errc::usage);
    CHECK(parsed.error().hint.find("1h30m") != std::string::npos);
  }
}
