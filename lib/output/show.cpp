#include "output/show.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>

#include "output/errors.h"
#include "output/federate.h"
#include "output/render.h"
#include "output/rotate.h"
#include "output/table.h"
#include "util/files.h"
#include "util/log.h"

namespace meshctl::output {
namespace {

constexpr const char* kKeepTokensSafe = "keep it out of version control unless sealed or encrypted";

void to_stderr(const std::string& lines) {
  std::fputs(log::redact(lines).c_str(), stderr);
}

void warn_each(const std::vector<std::string>& warnings) {
  for (const auto& w : warnings)
    log::warn("{}", w);
}

void print_document(const Json& document, const View& view) {
  fmt::print("{}", serialize(document, view.format));
}

}  // namespace

int show(const mesh::JoinReport& report, const View& view) {
  to_stderr(join_problem_lines(report));
  warn_each(report.warnings);
  for (const auto& e : report.errors)
    to_stderr(error_lines(e));
  if (view.structured())
    print_document(join_json(report), view);
  else
    fmt::print("{}", join_table(report, view.style, view.format));
  if (report.interrupted)
    to_stderr(join_interrupt_summary(report));
  return report.exit_code();
}

int show(const mesh::StatusReport& report, const View& view) {
  if (view.structured()) {
    print_document(status_json(report), view);
  } else {
    fmt::print("{}", status_table(report, view.style, view.format));
    for (const auto& w : report.warnings)
      log::info("note: {}", w);
  }
  if (report.exit_code() != 0)
    std::fprintf(stderr, "meshctl: the mesh is not healthy (exit %d): %s\n", report.exit_code(),
                 log::redact(status_unhealthy_summary(report)).c_str());
  return report.exit_code();
}

int show(const mesh::TeardownReport& report, const View& view) {
  if (report.not_confirmed || report.interrupted) {
    std::fprintf(stderr, "meshctl: teardown %s; nothing was deleted\n",
                 report.interrupted ? "interrupted" : "not confirmed");
    return report.exit_code();
  }
  warn_each(report.warnings);
  if (view.structured())
    print_document(teardown_json(report), view);
  else
    fmt::print("{}", teardown_table(report, view.style));
  if (!report.unreachable.empty() && !report.forced) {
    std::fprintf(
        stderr,
        "meshctl: nothing was deleted because a cluster could not be searched; fix it, or pass --force to "
        "clean the reachable clusters now and finish later\n");
  }
  return report.exit_code();
}

size_t show_preview(const mesh::TeardownReport& preview, const View& view) {
  to_stderr(teardown_table(preview, on_stderr(view.style)));
  return static_cast<size_t>(
      std::count_if(preview.objects.begin(), preview.objects.end(),
                    [](const mesh::DeletedObject& o) { return o.action == mesh::Removal::would_delete; }));
}

int show(const mesh::RotateReport& report, const View& view) {
  to_stderr(rotate_problem_lines(report));
  warn_each(rotate_warnings(report));
  if (view.structured())
    print_document(rotate_json(report), view);
  else if (report.problems.empty())
    fmt::print("{}", log::redact(rotate_table(report, view.style)));
  return exit_code(report.outcome());
}

int show(const mesh::FederateReport& report, const mesh::FederateOptions& options, const View& view) {
  if (!report.problems.empty())
    to_stderr(preflight_problem_lines(report.problems));
  if (view.structured())
    print_document(federate_json(report, options), view);
  else
    fmt::print("{}", federate_table(report, view.style));
  warn_each(report.warnings);
  if (report.waited && report.exit_code() != 0 && report.problems.empty())
    std::fprintf(stderr,
                 "meshctl: not every cluster with ready endpoints is listed by the federated Service yet "
                 "(exit %d); meshctl status --services shows it later\n",
                 report.exit_code());
  return report.exit_code();
}

int show(const mesh::UnfederateReport& report, const View& view) {
  if (view.structured())
    print_document(unfederate_json(report), view);
  else
    fmt::print("{}", unfederate_table(report));
  return report.exit_code();
}

int show(const mesh::RenderReport& report, const View& view, const std::string& fill_command) {
  to_stderr(preflight_problem_lines(report.problems));
  if (!report.problems.empty())
    return exit_code(report.outcome());
  warn_each(report.warnings);
  if (report.include_credentials)
    log::warn("the output holds the federation tokens of the clusters: {}", kKeepTokensSafe);
  if (view.format == Format::json)
    print_document(render_json(report), view);
  else
    fmt::print("{}", render_stream(report, fill_command));
  return exit_code(report.outcome());
}

Result<int> write(const mesh::RenderReport& report, const std::string& dir, const std::string& fill_command) {
  to_stderr(preflight_problem_lines(report.problems));
  if (!report.problems.empty())
    return exit_code(report.outcome());
  warn_each(report.warnings);
  if (report.include_credentials)
    log::warn("every link Secret file (mode 0600) holds the federation tokens of the clusters: {}",
              kKeepTokensSafe);
  TRY(write_render_directory(dir, render_files(report, fill_command)));
  for (const auto& c : report.clusters) {
    fmt::print("{}: {} objects in {}", c.name, c.objects.size(), files::join(dir, c.name));
    if (!c.placeholders.empty())
      fmt::print(" (placeholder credentials for {})", fmt::join(c.placeholders, ", "));
    fmt::print("; apply: kubectl --context {} apply -k {}\n", c.context, files::join(dir, c.name));
  }
  return exit_code(report.outcome());
}

int show(const mesh::ContextList& list, const View& view) {
  bool all_ok = true;
  Json doc = {{"apiVersion", "meshctl.projectcalico.org/v1alpha1"},
              {"kind", "ContextList"},
              {"currentContext", list.current_context},
              {"contexts", Json::array()}};
  Table table({"CURRENT", "NAME", "CLUSTER", "SERVER", "NAMESPACE", "AUTH", list.checked ? "CHECK" : ""});
  for (const auto& row : list.contexts) {
    all_ok = all_ok && row.ok;
    Json entry = {{"name", row.summary.name}, {"cluster", row.summary.cluster},
                  {"user", row.summary.user}, {"namespace", row.summary.namespace_name},
                  {"server", row.server},     {"auth", row.auth}};
    if (list.checked)
      entry["check"] = row.check;
    doc["contexts"].push_back(entry);
    std::string check_cell = !list.checked ? "" : paint(view.style, row.ok ? Tone::ok : Tone::bad, row.check);
    table.add_row({row.summary.name == list.current_context ? "*" : "", row.summary.name, row.summary.cluster,
                   row.server, row.summary.namespace_name, row.auth, check_cell});
  }
  const int code = exit_code(all_ok ? Outcome::ok : Outcome::unreachable);
  doc["exitCode"] = code;
  if (view.structured())
    print_document(doc, view);
  else if (view.format == Format::name)
    for (const auto& row : list.contexts)
      fmt::print("{}\n", row.summary.name);
  else
    fmt::print("{}", table.render());
  return code;
}

int show(const VersionInfo& version, const View& view) {
  Json doc = {
      {"apiVersion", "meshctl.projectcalico.org/v1alpha1"},
      {"kind", "Version"},
      {"exitCode", 0},
      {"clientVersion", version.client},
      {"build",
       {{"gitDescribe", version.git_describe}, {"commit", version.commit}, {"date", version.build_date}}}};
  if (!version.server.empty())
    doc["serverVersion"] = version.server;
  if (view.structured()) {
    print_document(doc, view);
  } else {
    fmt::print("Client Version: {}{}\n", version.client,
               version.git_describe.empty() ? "" : fmt::format(" ({})", version.git_describe));
    if (!version.server.empty())
      fmt::print("Server Version: {}\n", version.server);
  }
  return exit_code(Outcome::ok);
}

}  // namespace meshctl::output
