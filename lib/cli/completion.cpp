// The engine answers in cobra's protocol: one "candidate<TAB>help" per line,
// then ":<directive>".
#include "cli/completion.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "cli/help.h"
#include "cli/program_name.h"
#include "kube/kubeconfig.h"

namespace meshctl::cli {
namespace {

// cobra's ShellCompDirective values.
constexpr int kDirectiveDefault = 0;  // the shell may fall back to file names
constexpr int kDirectiveNoFiles = 4;

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

const CLI::Option* find_option(const CLI::App& cmd, const std::string& word) {
  for (const CLI::App* at = &cmd; at != nullptr; at = at->get_parent()) {
    for (const auto* opt : at->get_options()) {
      if (opt->check_name(word))
        return opt;
    }
  }
  return nullptr;
}

std::vector<std::string> flag_names(const CLI::Option& opt) {
  std::vector<std::string> names;
  for (const auto& n : opt.get_lnames())
    names.push_back("--" + n);
  for (const auto& n : opt.get_snames())
    names.push_back("-" + n);
  return names;
}

struct Completion {
  std::vector<std::pair<std::string, std::string>> candidates;  // word, help
  int directive = kDirectiveNoFiles;
};

// The values a flag's help lists as "a|b|c", as -o/--output does.
std::vector<std::string> listed_values(const CLI::Option& opt) {
  std::string head = opt.get_description().substr(0, opt.get_description().find(' '));
  while (!head.empty() && (head.back() == ',' || head.back() == ';' || head.back() == '.'))
    head.pop_back();  // "Enabled|Disabled, written into each RCC"
  if (head.find('|') == std::string::npos)
    return {};
  std::vector<std::string> values;
  size_t start = 0;
  while (start <= head.size()) {
    size_t end = std::min(head.find('|', start), head.size());
    values.push_back(head.substr(start, end - start));
    start = end + 1;
  }
  return values;
}

std::vector<std::string> context_names(const std::string& kubeconfig_flag) {
  kube::LoadOptions load = kube::load_options_from_environment(kubeconfig_flag);
  auto config = kube::load_kubeconfig(load);
  std::vector<std::string> names;
  if (config) {
    for (const auto& c : config->contexts())
      names.push_back(c.name);
  }
  return names;
}

bool takes_contexts(const CLI::App& cmd) {
  return cmd.get_option_no_throw("--context") != nullptr && cmd.get_option_no_throw("clusters") != nullptr;
}

// CLI11 gives flags a type size too; what tells them apart is that an option
// expects at least one value.
bool takes_value(const CLI::Option& opt) {
  return opt.get_expected_min() > 0;
}

// Where the finished words of the line leave the cursor: in which command,
// with which --kubeconfig, and whether the word being typed is an option's value.
struct Position {
  const CLI::App* cmd = nullptr;
  std::string kubeconfig;
  const CLI::Option* value_of = nullptr;
};

Position locate(const CLI::App& root, const std::vector<std::string>& words) {
  Position at{&root, "", nullptr};
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    const std::string& w = words[i];
    if (!starts_with(w, "-")) {
      if (at.cmd == &root) {
        for (const auto* sub : root.get_subcommands({}))
          at.cmd = sub->get_name() == w ? sub : at.cmd;
      }
      continue;
    }
    const auto eq = w.find('=');
    const auto* opt = find_option(*at.cmd, w.substr(0, eq));
    if (opt == nullptr || !takes_value(*opt))
      continue;
    const bool value_follows = eq == std::string::npos;
    const std::string value = value_follows ? (i + 2 < words.size() ? words[i + 1] : "") : w.substr(eq + 1);
    if (opt->check_name("--kubeconfig"))
      at.kubeconfig = value;
    if (value_follows && i + 2 == words.size())
      at.value_of = opt;  // the word being typed is this option's value
    if (value_follows)
      ++i;
  }
  return at;
}

void add_values(Completion& out, const CLI::Option& opt, const std::string& kubeconfig,
                const std::string& prefix) {
  if (opt.check_name("--kubeconfig")) {
    out.directive = kDirectiveDefault;
  } else if (opt.check_name("--context")) {
    for (auto& name : context_names(kubeconfig))
      out.candidates.emplace_back(prefix + name, "");
  } else {
    for (auto& v : listed_values(opt))
      out.candidates.emplace_back(prefix + v, "");
  }
}

void add_flags(Completion& out, const CLI::App& cmd) {
  std::set<std::string> seen;
  for (const CLI::App* at = &cmd; at != nullptr; at = at->get_parent()) {
    for (const auto* opt : at->get_options()) {
      for (auto& name : flag_names(*opt)) {
        if (seen.insert(name).second)
          out.candidates.emplace_back(name, opt->get_description());
      }
    }
  }
}

Completion complete(const CLI::App& root, const std::vector<std::string>& words) {
  const std::string current = words.empty() ? "" : words.back();
  const Position at = locate(root, words);
  Completion out;
  const auto eq = current.find('=');
  const CLI::Option* inline_value = starts_with(current, "-") && eq != std::string::npos
                                        ? find_option(*at.cmd, current.substr(0, eq))
                                        : nullptr;
  if (at.value_of != nullptr) {
    add_values(out, *at.value_of, at.kubeconfig, "");
  } else if (inline_value != nullptr && takes_value(*inline_value)) {
    add_values(out, *inline_value, at.kubeconfig, current.substr(0, eq + 1));  // --output=<TAB>
  } else if (starts_with(current, "-")) {
    add_flags(out, *at.cmd);
  } else if (at.cmd == &root) {
    for (const auto* sub : root.get_subcommands({})) {
      if (!sub->get_group().empty())
        out.candidates.emplace_back(sub->get_name(), sub->get_description());
    }
  } else if (takes_contexts(*at.cmd)) {
    for (auto& name : context_names(at.kubeconfig))
      out.candidates.emplace_back(name, "");
  } else if (at.cmd->get_name() == "completion") {
    for (const char* shell : {"bash", "zsh", "fish"})
      out.candidates.emplace_back(shell, "");
  }
  std::erase_if(out.candidates, [&](const auto& c) { return !starts_with(c.first, current); });
  return out;
}

// The shims: each asks the engine and hands the words to the shell. COMMAND is
// how the user types meshctl (the binary name; kubectl plugins complete
// through kubectl_complete-meshctl instead).
constexpr const char* kBash = R"sh(# bash completion for {0}; load with: source <({0} completion bash)
# The words come from the line itself, not COMP_WORDS, which bash splits at
# ":" and "=" (an EKS context is arn:aws:eks:...:cluster/NAME); bash then
# replaces only the part after the last of those, so that is what we give it.
_{1}() {{
  local line="${{COMP_LINE:0:COMP_POINT}}" cur="${{COMP_WORDS[COMP_CWORD]}}" out directive typed keep candidate
  local -a words candidates
  read -ra words <<<"$line"
  [[ -z "$line" || "$line" =~ [[:space:]]$ ]] && words+=("")
  out="$({0} __complete "${{words[@]:1}}" 2>/dev/null)" || return
  directive="${{out##*:}}"
  typed="${{words[${{#words[@]}}-1]}}"
  keep="${{typed%"$cur"}}"
  while IFS= read -r candidate; do
    candidate="${{candidate%%$'\t'*}}"
    [[ "$candidate" == "$keep"* ]] && candidates+=("${{candidate#"$keep"}}")
  done < <(printf '%s\n' "$out" | sed '$d')
  COMPREPLY=()
  for candidate in "${{candidates[@]}}"; do
    [[ "$candidate" == "$cur"* ]] && COMPREPLY+=("$candidate")
  done
  if [[ ${{#COMPREPLY[@]}} -eq 0 && "$directive" == 0 ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}}
complete -F _{1} {0}
)sh";

constexpr const char* kZsh = R"sh(#compdef {0}
# zsh completion for {0}; load with: source <({0} completion zsh), or put it
# in a directory of $fpath as _{0}.
_{1}() {{
  local -a lines candidates
  local line directive
  lines=("${{(@f)$({0} __complete "${{(@)words[2,CURRENT]}}" 2>/dev/null)}}")
  directive="${{lines[-1]#:}}"
  for line in "${{(@)lines[1,-2]}}"; do
    candidates+=("${{${{line%%$'\t'*}}//:/\\:}}:${{line#*$'\t'}}")
  done
  if (( ${{#candidates}} )); then
    _describe -t values '{0}' candidates
  elif [[ "$directive" == 0 ]]; then
    _files
  fi
}}
if [[ "${{funcstack[1]}}" == "_{1}" ]]; then
  _{1} "$@"
else
  compdef _{1} {0}
fi
)sh";

constexpr const char* kFish = R"sh(# fish completion for {0}; load with: {0} completion fish | source
function __{1}_complete
    set -l words (commandline -opc)[2..-1] (commandline -ct)
    set -l out ({0} __complete $words 2>/dev/null)
    or return
    set -l directive (string replace -r '^:' '' -- $out[-1])
    if test (count $out) -gt 1
        printf '%s\n' $out[1..-2]
    else if test "$directive" = 0
        __fish_complete_path (commandline -ct)
    end
end
complete -c {0} -f -a '(__{1}_complete)'
)sh";

std::string script_for(const std::string& shell) {
  std::string command = program_command();
  std::string ident = command;
  std::replace(ident.begin(), ident.end(), '-', '_');
  const char* form = shell == "bash" ? kBash : shell == "zsh" ? kZsh : kFish;
  return fmt::format(fmt::runtime(form), command, ident);
}

}  // namespace

Result<std::string> completion_script(const std::string& shell) {
  if (shell != "bash" && shell != "zsh" && shell != "fish")
    return Error(Errc::usage, "unsupported shell \"" + shell + "\"", "use bash, zsh or fish");
  return script_for(shell);
}

int answer_completion(const CLI::App& root, const std::vector<std::string>& words) {
  auto completion = complete(root, words);
  for (const auto& [word, help] : completion.candidates)
    fmt::print("{}\t{}\n", word, help.substr(0, help.find('\n')));
  fmt::print(":{}\n", completion.directive);
  return 0;
}

void add_completion_command(CLI::App& root, Session& session) {
  auto shell = std::make_shared<std::string>();
  auto* cmd = root.add_subcommand("completion", "Print a shell completion script (bash, zsh, fish)");
  cmd->footer(long_help("completion"));
  cmd->add_option("shell", *shell, "bash|zsh|fish")->required();
  on_run(cmd, session, [shell]() -> Result<int> {
    TRY_ASSIGN(auto script, completion_script(*shell));
    fmt::print("{}", script);
    return 0;
  });
}

}  // namespace meshctl::cli
