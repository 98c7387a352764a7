// How to print for whoever is reading: colour and progress only on a terminal,
// never with NO_COLOR or --no-color; plain lines in CI.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace meshctl::output {

struct TerminalStyle {
  bool color = false;     // ANSI colours on stdout
  bool progress = false;  // live progress lines on stderr
};

// Decides the style from --no-color, $NO_COLOR, $TERM=dumb and isatty.
TerminalStyle detect_style(bool no_color_flag);

enum class Tone { ok, warn, bad, dim };
std::string paint(const TerminalStyle& style, Tone tone, std::string_view text);

}  // namespace meshctl::output
