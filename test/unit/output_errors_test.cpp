// The line a user sees for an error.
#include <doctest/doctest.h>

#include "output/errors.h"

using meshctl::Errc;
using meshctl::Error;
using meshctl::output::error_lines;

TEST_CASE("an error is one line with its hint") {
  CHECK(error_lines(Error(Errc::config, R"(context "pdx": cluster "c" not found)", "add it")) ==
        "meshctl: error: context \"pdx\": cluster \"c\" not found (hint: add it)\n");
  CHECK(error_lines(Error(Errc::usage, "no hint")) == "meshctl: error: no hint\n");
}

TEST_CASE("several problems are one prefixed line each") {
  CHECK(error_lines(Error(Errc::config, "first (hint: a)\nsecond (hint: b)")) ==
        "meshctl: error: first (hint: a)\nmeshctl: error: second (hint: b)\n");
  // Empty lines are not printed as bare prefixes.
  CHECK(error_lines(Error(Errc::config, "one\n\ntwo\n")) == "meshctl: error: one\nmeshctl: error: two\n");
}
