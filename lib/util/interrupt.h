// SIGINT/SIGTERM handling: the CLI installs the handler; long-running library
// code checks interrupted() between writes so that it stops at an object
// boundary and can report what was done and what was not.
#pragma once

namespace meshctl {

void install_interrupt_handler();
bool interrupted();
// For tests.
void set_interrupted(bool value);

}  // namespace meshctl
