// How to print for whoever is reading: colour and progress only on a terminal,
// never with NO_COLOR or --no-color; plain lines in CI.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace meshctl::output {

struct TerminalStyle {
  bool color = false;         // ANSI colours on stdout
  bool progress = false;      // stderr is a terminal
  bool stderr_color = false;  // ANSI colours on stderr
};

// The style for what goes to stderr (progress, prompts): its colours follow
// stderr, not stdout, so `meshctl join a b 2>log` keeps escapes out of the log.
TerminalStyle on_stderr(const TerminalStyle& style);

// Decides the style from --no-color, $NO_COLOR, $TERM=dumb and isatty.
TerminalStyle detect_style(bool no_color_flag);

enum class Tone { ok, warn, bad, dim };
std::string paint(const TerminalStyle& style, Tone tone, std::string_view text);

}  // namespace meshctl::output
