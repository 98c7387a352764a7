#include "output/rotate.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "calico/link_state.h"
#include "output/errors.h"
#include "output/reports.h"
#include "output/table.h"

namespace meshctl::output {
namespace {

Tone tone_of(const mesh::RotatedCluster& c) {
  if (c.state == mesh::Rotation::rotated || c.state == mesh::Rotation::would_rotate)
    return Tone::ok;
  return c.state == mesh::Rotation::no_links ? Tone::dim : Tone::bad;
}

std::string links_summary(const mesh::RotatedCluster& c, bool dry_run) {
  if (c.links.empty())
    return "-";
  if (dry_run)
    return fmt::format("{} to update", c.updated.size());
  size_t in_sync = 0;
  for (const auto& l : c.links)
    in_sync += l.state == calico::LinkState::in_sync ? 1 : 0;
  return fmt::format("{}/{} in sync", in_sync, c.links.size());
}

std::string retired(const mesh::RotatedCluster& c) {
  std::vector<std::string> parts;
  if (!c.revoked.empty())
    parts.push_back("deleted " + fmt::format("{}", fmt::join(c.revoked, ", ")));
  if (!c.released.empty())
    parts.push_back("released " + fmt::format("{}", fmt::join(c.released, ", ")));
  return parts.empty() ? "-" : fmt::format("{}", fmt::join(parts, "; "));
}

std::vector<std::string> unsearched_contexts(const mesh::RotateReport& report) {
  std::vector<std::string> out;
  for (const auto& u : report.unsearched)
    out.push_back(u.cluster);
  return out;
}

}  // namespace

nlohmann::json rotate_json(const mesh::RotateReport& report) {
  nlohmann::json clusters = nlohmann::json::array();
  for (const auto& c : report.clusters) {
    nlohmann::json links = nlohmann::json::array();
    for (const auto& l : c.links) {
      links.push_back({{"local", l.local},
                       {"remote", l.remote},
                       {"written", l.written},
                       {"state", std::string(calico::link_state_name(l.state))},
                       {"detail", l.detail}});
    }
    clusters.push_back({{"name", c.name},
                        {"context", c.context},
                        {"mode", c.mode},
                        {"credential", c.credential},
                        {"resumed", c.resumed},
                        {"state", mesh::rotation_name(c.state)},
                        {"detail", c.detail},
                        {"updated", c.updated},
                        {"revoked", c.revoked},
                        {"released", c.released},
                        {"links", std::move(links)}});
  }
  return {{"apiVersion", "meshctl.projectcalico.org/v1alpha1"},
          {"kind", "RotateResult"},
          {"dryRun", report.dry_run},
          {"interrupted", report.interrupted},
          {"exitCode", exit_code(report.outcome())},
          {"problems", problems_json(report.problems)},
          {"unsearched", unsearched_contexts(report)},
          {"warnings", rotate_warnings(report)},
          {"clusters", std::move(clusters)}};
}

std::string rotate_table(const mesh::RotateReport& report, const TerminalStyle& style) {
  Table table({"CLUSTER", "MODE", "CREDENTIAL", "LINKS", "RETIRED", "STATE"});
  for (const auto& c : report.clusters) {
    table.add_row({c.name, c.mode, c.credential.empty() ? "-" : c.credential,
                   links_summary(c, report.dry_run), retired(c),
                   paint(style, tone_of(c), mesh::rotation_name(c.state))});
  }
  std::string out = report.clusters.empty() ? "nothing to rotate\n" : table.render();
  for (const auto& c : report.clusters) {
    for (const auto& l : c.links) {
      if (!report.dry_run && l.state != calico::LinkState::in_sync)
        out += paint(
            style, Tone::bad,
            fmt::format("{} <- {}: {}: {}\n", l.local, l.remote, calico::link_state_name(l.state), l.detail));
    }
    if (!c.detail.empty())
      out += paint(style, tone_of(c) == Tone::bad ? Tone::bad : Tone::warn, c.name + ": " + c.detail + "\n");
  }
  return out;
}

std::vector<std::string> rotate_warnings(const mesh::RotateReport& report) {
  std::vector<std::string> out;
  for (const auto& u : report.unsearched)
    out.push_back(
        with_hint(fmt::format("{}: could not be searched for links ({})", u.cluster, u.message), u.hint));
  out.insert(out.end(), report.warnings.begin(), report.warnings.end());
  return out;
}

std::string rotate_problem_lines(const mesh::RotateReport& report) {
  std::string out;
  for (const auto& p : report.problems)
    out += "meshctl: error: " + with_hint(p.message, p.hint) + "; nothing was changed\n";
  return out;
}

}  // namespace meshctl::output
