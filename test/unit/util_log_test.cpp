#include <doctest/doctest.h>

#include "util/log.h"

using namespace meshctl;

// "<redacted>" is the only secret this test registers: it sorts before the
// others and replacing it changes nothing, so other tests' redactions are
// unaffected by it.
TEST_CASE("redact terminates when a secret occurs inside its own replacement") {
  log::register_secret("<redacted>");
  CHECK(log::redact("a <redacted> b <redacted>") == "a <redacted> b <redacted>");
  CHECK(log::redact("no secret here") == "no secret here");
}

TEST_CASE("a secret that begins a longer one does not leave the rest visible") {
  meshctl::log::register_secret("abcdefgh");
  meshctl::log::register_secret("abcdefgh-and-more-secret");
  CHECK(meshctl::log::redact("x abcdefgh-and-more-secret y") == "x <redacted> y");
}
