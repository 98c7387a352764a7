#include "program_name.h"

#include <regex>

namespace meshctl::cli {
namespace {

std::string& command_name() {
  static std::string name = "meshctl";
  return name;
}

}  // namespace

void set_program_from_argv0(const char* argv0) {
  std::string path = argv0 == nullptr ? "" : argv0;
  std::string base = path.substr(path.rfind('/') + 1);
  command_name() = base == "kubectl-meshctl" ? base : "meshctl";
}

bool running_as_kubectl_plugin() {
  return command_name() == "kubectl-meshctl";
}

const std::string& program_command() {
  return command_name();
}

std::string program_display() {
  return running_as_kubectl_plugin() ? "kubectl meshctl" : "meshctl";
}

std::string as_typed(const std::string& text) {
  if (!running_as_kubectl_plugin())
    return text;
  // Only "meshctl" followed by a command or --help: label keys
  // (meshctl.projectcalico.org) and prose ("meshctl's objects") stay.
  static const std::regex command_use(
      R"((^|[\s"'`(])meshctl (?=(join|leave|teardown|status|render|rotate|version|contexts|completion|--help|-h)\b))");
  return std::regex_replace(text, command_use, "$1kubectl meshctl ");
}

}  // namespace meshctl::cli
