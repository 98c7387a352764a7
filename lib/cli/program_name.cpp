#include "cli/program_name.h"

#include <cctype>
#include <vector>

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
  // Only "meshctl" followed by a command or --help, at the start of a word:
  // label keys (meshctl.projectcalico.org) and prose ("meshctl's objects")
  // stay. (Hand-written: GCC 12 warns inside std::regex under ASan.)
  static const std::vector<std::string> commands{"join",       "leave",  "teardown", "status",
                                                 "render",     "rotate", "version",  "contexts",
                                                 "completion", "--help", "-h"};
  static const std::string word = "meshctl ";
  auto starts_word = [&](size_t at) {
    return at == 0 || std::string(" \t\n\"'`(").find(text[at - 1]) != std::string::npos;
  };
  auto names_command = [&](size_t after) {
    for (const auto& c : commands) {
      if (text.compare(after, c.size(), c) != 0)
        continue;
      size_t end = after + c.size();
      if (end == text.size() || !(std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '-'))
        return true;
    }
    return false;
  };
  std::string out;
  size_t from = 0;
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    if (!starts_word(at) || !names_command(at + word.size()))
      continue;
    out.append(text, from, at - from);
    out += "kubectl ";
    from = at;
  }
  out.append(text, from, std::string::npos);
  return out;
}

}  // namespace meshctl::cli
