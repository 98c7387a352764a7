#include "util/interrupt.h"

#include <atomic>
#include <csignal>

namespace meshctl {
namespace {

std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free, "signal handler needs a lock-free flag");

extern "C" void on_signal(int /*signal*/) {
  g_interrupted.store(true);
}

}  // namespace

void install_interrupt_handler() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool interrupted() {
  return g_interrupted.load();
}
void set_interrupted(bool value) {
  g_interrupted.store(value);
}

}  // namespace meshctl
