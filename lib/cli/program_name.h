// How the user runs meshctl: as itself, or as the kubectl plugin
// `kubectl meshctl` (the binary installed as kubectl-meshctl, as krew does).
// Help, hints and completion then speak the way the user types.
#pragma once

#include <string>

namespace meshctl::cli {

void set_program_from_argv0(const char* argv0);
bool running_as_kubectl_plugin();
// The executable name: "meshctl" or "kubectl-meshctl".
const std::string& program_command();
// What the user types: "meshctl" or "kubectl meshctl".
std::string program_display();
// Rewrites "meshctl <command>" in help and hints into the plugin's spelling;
// text unchanged when meshctl runs as itself.
std::string as_typed(const std::string& text);

}  // namespace meshctl::cli
