#include "cli/man_page.h"

#include <fmt/format.h>

#include <sstream>

#include "cli/usage.h"

namespace meshctl::cli {
namespace {

// roff treats a backslash as an escape and a leading "." or "'" as a request.
std::string roff_escape(const std::string& text) {
  std::string out;
  std::istringstream lines(text);
  std::string line;
  bool first = true;
  while (std::getline(lines, line)) {
    if (!first)
      out += '\n';
    first = false;
    if (!line.empty() && (line[0] == '.' || line[0] == '\''))
      out += "\\&";
    for (char c : line) {
      if (c == '\\')
        out += "\\e";
      else if (c == '-')
        out += "\\-";
      else
        out += c;
    }
  }
  return out;
}

std::string option_heading(const CLI::Option& opt) {
  std::string name = opt.get_name(false, true);
  if (opt.get_positional())
    name = "[" + opt.get_name() + "...]";
  else if (opt.get_expected_min() > 0) {
    std::string type = opt.get_type_name();
    name += " " + type.substr(type.rfind(':') + 1);
  }
  return name;
}

void options_section(std::string& page, const CLI::App& cmd) {
  for (const auto* opt : cmd.get_options()) {
    if (opt->get_name() == "--help")
      continue;
    page += fmt::format(".TP\n.B {}\n{}\n", roff_escape(option_heading(*opt)),
                        roff_escape(opt->get_description()));
  }
}

}  // namespace

std::string man_page(const CLI::App& root) {
  std::string page = fmt::format(
      ".TH MESHCTL 1 \"\" \"meshctl {}\" \"User Commands\"\n"
      ".SH NAME\nmeshctl \\- connect Kubernetes clusters into a Calico Enterprise cluster mesh\n"
      ".SH SYNOPSIS\n.B meshctl\n[\\fIglobal flags\\fR] \\fIcommand\\fR [\\fIflags\\fR] [\\fICTX\\fR...]\n"
      ".br\n.B kubectl meshctl\n\\fIcommand\\fR ... (installed as the kubectl plugin kubectl\\-meshctl)\n"
      ".SH DESCRIPTION\n{}\n",
      MESHCTL_VERSION, roff_escape(root.get_description()));
  page += ".SH COMMANDS\n";
  for (const auto* sub : root.get_subcommands({})) {
    if (sub->get_group().empty())
      continue;
    page += fmt::format(".SS \"meshctl {}\"\n{}\n", sub->get_name(), roff_escape(sub->get_description()));
    options_section(page, *sub);
    // The footer carries the command's explanation and examples; the global
    // flags and exit codes it repeats have their own sections below.
    std::string footer = sub->get_footer();
    footer = footer.substr(0, footer.find("\nGlobal flags:"));
    page += fmt::format(".PP\n.nf\n{}\n.fi\n", roff_escape(footer));
  }
  page += ".SH GLOBAL FLAGS\n";
  options_section(page, root);
  page += fmt::format(".SH EXIT STATUS\n.nf\n{}\n.fi\n", roff_escape(exit_codes_text()));
  page +=
      ".SH ENVIRONMENT\n.TP\n.B KUBECONFIG\nColon-separated kubeconfig files, merged as kubectl merges them "
      "(when \\-\\-kubeconfig is not given).\n.TP\n.B NO_COLOR\nWhen set and not empty, no colours.\n"
      ".SH FILES\n.TP\n.I ~/.kube/config\nThe kubeconfig read when neither \\-\\-kubeconfig nor KUBECONFIG "
      "is set. meshctl never writes it.\n.SH SEE ALSO\n.BR kubectl (1)\n";
  return page;
}

void add_man_command(CLI::App& root, Session& session) {
  auto* cmd = root.add_subcommand("__man", "");
  cmd->group("");
  on_run(cmd, session, [&root]() -> Result<int> {
    fmt::print("{}", man_page(root));
    return 0;
  });
}

}  // namespace meshctl::cli
