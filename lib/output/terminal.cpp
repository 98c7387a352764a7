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
  const bool colours_allowed = !no_color_flag && (no_color == nullptr || *no_color == '\0') && !dumb;
  style.color = colours_allowed && isatty(STDOUT_FILENO);
  style.progress = !dumb && isatty(STDERR_FILENO);
  style.stderr_color = colours_allowed && isatty(STDERR_FILENO);
  return style;
}

TerminalStyle on_stderr(const TerminalStyle& style) {
  TerminalStyle out = style;
  out.color = style.stderr_color;
  return out;
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
