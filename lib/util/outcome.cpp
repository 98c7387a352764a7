#include "util/outcome.h"

namespace meshctl {

const char* exit_code_meaning(int code) {
  switch (code) {
    case 0:
      return "success";
    case 1:
      return "an operation failed";
    case 2:
      return "usage or configuration error";
    case 3:
      return "a link is not in sync";
    case 4:
      return "a cluster is unreachable or refuses the credentials";
    case 5:
      return "a precondition failed, or mesh objects are missing or wrong";
    case 6:
      return "only stale failures: restart Typha to re-verify";
    case 130:
      return "interrupted";
    default:
      return "unknown exit code";
  }
}

int exit_code(Outcome outcome) {
  switch (outcome) {
    case Outcome::ok:
      return 0;
    case Outcome::failed:
      return 1;
    case Outcome::usage:
      return 2;
    case Outcome::links_degraded:
      return 3;
    case Outcome::unreachable:
      return 4;
    case Outcome::precondition:
      return 5;
    case Outcome::stale_failures:
      return 6;
    case Outcome::interrupted:
      return 130;
  }
  return 1;
}

Outcome outcome_of(Errc code) {
  if (is_transport(code))
    return Outcome::unreachable;
  switch (code) {
    case Errc::usage:
    case Errc::config:
      return Outcome::usage;
    case Errc::credential:
    case Errc::unauthorized:
      return Outcome::unreachable;
    case Errc::precondition:
    case Errc::forbidden:
      return Outcome::precondition;
    case Errc::interrupted:
      return Outcome::interrupted;
    default:
      return Outcome::failed;
  }
}

namespace {

int rank(Outcome outcome) {
  switch (outcome) {
    case Outcome::ok:
      return 0;
    case Outcome::stale_failures:
      return 1;
    case Outcome::links_degraded:
      return 2;
    case Outcome::failed:
      return 3;
    case Outcome::precondition:
      return 4;
    case Outcome::usage:
      return 5;
    case Outcome::unreachable:
      return 6;
    case Outcome::interrupted:
      return 7;
  }
  return 3;
}

}  // namespace

Outcome worst(Outcome a, Outcome b) {
  return rank(a) >= rank(b) ? a : b;
}

}  // namespace meshctl
