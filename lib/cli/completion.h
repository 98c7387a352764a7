// Shell completion. One engine, `meshctl __complete WORDS...`, answers in the
// protocol cobra programs (kubectl among them) use; the bash, zsh and fish
// scripts are thin shims around it, and kubectl's plugin completion
// (kubectl_complete-meshctl) calls it directly, so every shell offers the same
// commands, flags and contexts and none of them can drift from the flags that
// exist.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli/session.h"
#include "util/result.h"

namespace meshctl::cli {

// Answered before parsing, as the words are an unfinished command line.
inline constexpr const char* kCompletionEngine = "__complete";
int answer_completion(const CLI::App& root, const std::vector<std::string>& words);

// The script for bash, zsh or fish; Errc::usage for another shell.
Result<std::string> completion_script(const std::string& shell);

// `meshctl completion bash|zsh|fish`: prints completion_script.
void add_completion_command(CLI::App& root, Session& session);

}  // namespace meshctl::cli
