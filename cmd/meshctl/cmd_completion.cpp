// meshctl completion bash|zsh: generated from the command tree itself, so it
// never drifts from the flags that exist.
#include <fmt/format.h>

#include "app.h"

namespace meshctl::cli {
namespace {

std::string words_of(const CLI::App& cmd) {
  std::string words;
  for (const auto* opt : cmd.get_options()) {
    for (const auto& name : opt->get_lnames())
      words += " --" + name;
    for (const auto& name : opt->get_snames())
      words += " -" + name;
  }
  return words;
}

std::string bash_script(const CLI::App& root) {
  std::string cases;
  std::string subcommands;
  for (const auto* sub : root.get_subcommands({})) {
    subcommands += " " + sub->get_name();
    cases += fmt::format("    {}) opts=\"{}\" ;;\n", sub->get_name(), words_of(*sub) + words_of(root));
  }
  return fmt::format(R"bash(# bash completion for meshctl; load with: source <(meshctl completion bash)
_meshctl() {{
  local cur sub opts i
  cur="${{COMP_WORDS[COMP_CWORD]}}"
  sub=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "${{COMP_WORDS[i]}}" in -*) ;; *) sub="${{COMP_WORDS[i]}}"; break ;; esac
  done
  if [[ -z "$sub" ]]; then
    COMPREPLY=($(compgen -W "{}{}" -- "$cur"))
    return
  fi
  case "$sub" in
{}    *) opts="" ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(meshctl contexts -o name 2>/dev/null)" -- "$cur"))
  fi
}}
complete -F _meshctl meshctl
)bash",
                     subcommands, words_of(root), cases);
}

}  // namespace

void add_completion_command(CLI::App& root, App& app) {
  auto shell = std::make_shared<std::string>();
  auto* cmd =
      root.add_subcommand("completion", "Print a shell completion script (bash; zsh via bashcompinit)");
  cmd->footer(
      "\nExamples:\n  source <(meshctl completion bash)\n"
      "  autoload -U +X bashcompinit && bashcompinit && source <(meshctl completion zsh)");
  cmd->add_option("shell", *shell, "bash|zsh")->required();
  cmd->callback([&app, &root, shell] {
    app.prepare();
    if (*shell != "bash" && *shell != "zsh") {
      finish(fail(Error(Errc::usage, "unsupported shell \"" + *shell + "\"", "use bash or zsh")));
    }
    fmt::print("{}", bash_script(root));
  });
}

}  // namespace meshctl::cli
