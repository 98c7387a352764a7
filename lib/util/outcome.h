// What a command's run amounts to, and the one table from outcomes and error
// codes to process exit codes (README "Exit codes"). Every report and the CLI
// answer through these, so "unreachable" means the same in every command.
#pragma once

#include "util/error.h"

namespace meshctl {

enum class Outcome {
  ok,              // 0: done; every link in sync / the mesh is healthy
  failed,          // 1: a write or delete was refused or failed
  usage,           // 2: flags, arguments or kubeconfig are wrong
  links_degraded,  // 3: a link is not in sync
  unreachable,     // 4: a cluster does not answer or refuses the credentials
  precondition,    // 5: preflight refused, or mesh objects are missing or wrong
  stale_failures,  // 6: only failures Typha never takes back (restart it to re-verify)
  interrupted,     // 130: SIGINT/SIGTERM
};

int exit_code(Outcome outcome);

// What an exit code means, in a few words ("a link is not in sync"); the
// README's table says the same.
const char* exit_code_meaning(int code);

// The outcome an error leads to when it ends a command.
Outcome outcome_of(Errc code);

// When several things went wrong: the one the exit code reports. Refusals
// before any work (usage, unreachable, precondition) outrank what happened
// during it.
Outcome worst(Outcome a, Outcome b);

}  // namespace meshctl
