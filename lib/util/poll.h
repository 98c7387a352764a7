// The one way meshctl waits for something to become true: poll, pause, poll
// again until a deadline, pausing in short naps so that an interrupt (Ctrl-C,
// SIGTERM) ends the wait at once instead of after the pause.
#pragma once

#include <chrono>
#include <thread>

#include "util/interrupt.h"

namespace meshctl {

using PollClock = std::chrono::steady_clock;

// Sleeps until UNTIL; false when an interrupt cut it short.
inline bool nap_until(PollClock::time_point until) {
  while (PollClock::now() < until && !interrupted())
    std::this_thread::sleep_for(
        std::min<PollClock::duration>(std::chrono::milliseconds(100), until - PollClock::now()));
  return !interrupted();
}

// Runs ATTEMPT until it returns true, the deadline passes or an interrupt
// comes, pausing INTERVAL between attempts; ATTEMPT runs at least once.
// Returns whether it ended with ATTEMPT true.
template <class Fn>
bool poll_until(PollClock::time_point deadline, PollClock::duration interval, Fn&& attempt) {
  while (true) {
    if (attempt())
      return true;
    if (PollClock::now() >= deadline || interrupted())
      return false;
    if (!nap_until(std::min(deadline, PollClock::now() + interval)))
      return false;
  }
}

}  // namespace meshctl
