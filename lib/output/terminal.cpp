#include "output/terminal.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace meshctl::output {

TerminalStyle detect_style(bool no_color_flag) {
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  bool dumb = term != nullptr && std::strcmp(term, "dumb") == 0;
  TerminalStyle style;
  style.color =
      !no_color_flag && (no_color == nullptr || *no_color == '\0') && !dumb && isatty(STDOUT_FILENO);
  style.progress = !dumb && isatty(STDERR_FILENO);
  return style;
}

std::string paint(const TerminalStyle& style, Tone tone, std::string_view text) {
  if (!style.color)
    return std::string(text);
  const char* code = "";
  switch (tone) {
    case Tone::ok:
      code = "\033[32m";
      break;
    case Tone::warn:
      code = "\033[33m";
      break;
    case Tone::bad:
      code = "\033[31m";
      break;
    case Tone::dim:
      code = "\033[2m";
      break;
  }
  return std::string(code) + std::string(text) + "\033[0m";
}

}  // namespace meshctl::output
