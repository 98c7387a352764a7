#include "cli/usage.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "cli/completion.h"
#include "cli/program_name.h"
#include "cli/session.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/suggest.h"

namespace meshctl::cli {
namespace {

constexpr const char* kExitCodes = R"(Exit codes:
  0    success (join: every link in sync; status: the whole mesh is healthy)
  1    an operation failed (a write or delete was refused)
  2    usage or configuration error (flags, kubeconfig)
  3    a link is not in sync (join --wait, status)
  4    a cluster is unreachable or refuses the credentials (join: also
       when one is lost mid-run)
  5    a precondition failed (missing API or namespace, missing permission,
       duplicate cluster) or mesh objects are missing or wrong
  6    only stale failures: Typha reported a failure after being in sync
       and never reports recovery; restart Typha to re-verify
  130  interrupted)";

// kubectl habits CLI11 does not parse itself: a short option with "="
// ("-o=json") and kubectl's numeric verbosity ("-v=2").
std::vector<std::string> kubectl_style(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (i > 0 && arg.size() > 3 && arg[0] == '-' && arg[1] != '-' && arg[2] == '=') {
      if (arg[1] == 'v') {
        args.push_back("--verbose=" + arg.substr(3));
        continue;
      }
      args.push_back(arg.substr(0, 2));
      args.push_back(arg.substr(3));
      continue;
    }
    args.push_back(arg);
  }
  return args;
}

// The subcommand being parsed when parsing stopped (the root when none).
const CLI::App* innermost(const CLI::App& app) {
  for (const auto* sub : app.get_subcommands())
    return innermost(*sub);
  return &app;
}

std::vector<std::string> option_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* a = &app; a != nullptr; a = a->get_parent()) {
    for (const auto* opt : a->get_options()) {
      for (const auto& name : opt->get_lnames())
        names.push_back("--" + name);
    }
  }
  return names;
}

std::vector<std::string> command_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const auto* sub : app.get_subcommands({}))
    names.push_back(sub->get_name());
  return names;
}

// The words CLI11 lists after "...not expected: ".
std::vector<std::string> unexpected_words(const std::string& message) {
  std::vector<std::string> words;
  auto colon = message.find(": ");
  if (colon == std::string::npos)
    return words;
  std::string rest = message.substr(colon + 2);
  size_t start = 0;
  while (start < rest.size()) {
    size_t end = rest.find(' ', start);
    if (end == std::string::npos)
      end = rest.size();
    if (end > start)
      words.push_back(rest.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

// The first word that is neither an option nor a global option's value: what
// the user meant as the command.
std::string typed_command(const std::vector<std::string>& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--kubeconfig" || args[i] == "--request-timeout") {
      ++i;
      continue;
    }
    if (!args[i].empty() && args[i][0] != '-')
      return args[i];
  }
  return "";
}

// A command-line mistake as one line in the house format, with a "did you
// mean" where one word is close to a known command or flag.
Error usage_error(const CLI::ParseError& e, const CLI::App& root, const std::vector<std::string>& args) {
  const CLI::App* at = innermost(root);
  // Spelled "meshctl ..." here; fail() rewrites it for the kubectl plugin.
  std::string help = at == &root ? "meshctl --help" : "meshctl " + at->get_name() + " --help";
  std::string message = e.what();
  if (at == &root && dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
    std::string typed = typed_command(args);
    if (typed.empty())
      return Error(Errc::usage, "no command given", "meshctl --help lists them");
    auto near = closest_word(typed, command_names(root));
    return Error(Errc::usage, "unknown command \"" + typed + "\"",
                 near ? "did you mean \"meshctl " + *near + "\"?" : "meshctl --help lists the commands");
  }
  if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
    auto words = unexpected_words(message);
    if (!words.empty()) {
      const std::string& word = words.front();
      bool flag = word.rfind("-", 0) == 0;
      auto near = closest_word(word.substr(0, word.find('=')), flag ? option_names(*at) : command_names(*at));
      return Error(Errc::usage, "unknown " + std::string(flag ? "flag" : "argument") + " \"" + word + "\"",
                   near ? "did you mean \"" + *near + "\"? See " + help : "see " + help);
    }
  }
  std::replace(message.begin(), message.end(), '\n', ' ');
  return Error(Errc::usage, message, help);
}

// CLI11 shows a subcommand only its own flags: every subcommand's help ends
// with the global ones and the exit codes, so `meshctl join --help` is whole.
void complete_help(CLI::App& root) {
  std::string globals = "\nGlobal flags:\n";
  for (const auto* opt : root.get_options()) {
    if (opt->get_name() == "--help")
      continue;
    std::string name = opt->get_name(false, true);
    if (opt->get_expected_min() > 0) {
      std::string type = opt->get_type_name();  // "TEXT:DURATION" names the validator last
      name += " " + type.substr(type.rfind(':') + 1);
    }
    globals += fmt::format("  {:<28}{}\n", name, opt->get_description());
  }
  for (auto* sub : root.get_subcommands({}))
    sub->footer(as_typed(sub->get_footer() + "\n" + globals + "\n" + kExitCodes));
  root.footer(as_typed(std::string("\nExamples:\n  meshctl join iad pdx fra\n  meshctl status -o json\n"
                                   "  meshctl leave fra\n\n") +
                       kExitCodes));
}

}  // namespace

std::string exit_codes_text() {
  return kExitCodes;
}

namespace {

// meshctl's threads mostly wait on the API servers (a join of ten clusters
// runs about 130 at its peak). glibc gives threads up to 8 malloc arenas per
// core, and the memory freed in each stays mapped: two arenas took 1.5 MiB
// (5 %) off the peak RSS of a no-change join and of status at N=10 in the
// lab, with no measurable change in time (docs/benchmarks.md). The
// MALLOC_ARENA_MAX environment variable still decides when it is set.
void limit_malloc_arenas() {
#if defined(__GLIBC__)
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr)
    mallopt(M_ARENA_MAX, 2);
#endif
}

}  // namespace

void begin(int argc, char** argv) {
  limit_malloc_arenas();
  // First of all: a SIGINT/SIGTERM that arrives while the command tree is
  // being built must still end in the documented report and exit 130, not
  // in the default action (death by signal, 143 for SIGTERM).
  install_interrupt_handler();
  watch_stderr();
  set_program_from_argv0(argc > 0 ? argv[0] : nullptr);
}

int run_command_line(CLI::App& root, int argc, char** argv) {
  complete_help(root);
  auto args = kubectl_style(argc, argv);
  if (args.size() > 1 && args[1] == kCompletionEngine)
    return answer_completion(root, {args.begin() + 2, args.end()});
  int code = 0;
  std::vector<char*> pointers;
  for (auto& a : args)
    pointers.push_back(a.data());
  try {
    root.parse(static_cast<int>(pointers.size()), pointers.data());
  } catch (const CLI::CallForHelp& e) {
    return root.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return root.exit(e);
  } catch (const CLI::RuntimeError& e) {
    code = e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    return fail(usage_error(e, root, args));
  }
  // Every non-zero exit leaves a line on stderr, even where the command's
  // answer (a table, a JSON document) went to stdout.
  if (code != 0 && !stderr_written())
    std::fprintf(stderr, "meshctl: exit %d: %s\n", code, exit_code_meaning(code));
  return code;
}

}  // namespace meshctl::cli
