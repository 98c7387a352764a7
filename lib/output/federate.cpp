#include "output/federate.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "output/errors.h"
#include "output/reports.h"
#include "output/table.h"

namespace meshctl::output {
namespace {

using Json = nlohmann::json;
constexpr const char* kApiVersion = "meshctl.projectcalico.org/v1alpha1";

std::string sources_cell(const mesh::FederatedTarget& t) {
  std::vector<std::string> parts;
  for (const auto& [cluster, n] : t.endpoints_by_source)
    parts.push_back(fmt::format("{}:{}", cluster, n));
  return parts.empty() ? "-" : fmt::format("{}", fmt::join(parts, " "));
}

std::string state_cell(const mesh::FederatedTarget& t, const mesh::FederateReport& report) {
  if (!t.error.empty())
    return "failed: " + t.error;
  if (report.dry_run)
    return std::string("would ") + mesh::action_name(t.action);
  if (!report.waited)
    return std::string(mesh::action_name(t.action)) + " (not waited for)";
  return t.missing.empty() ? "complete" : fmt::format("missing {}", fmt::join(t.missing, ", "));
}

}  // namespace

Json federate_json(const mesh::FederateReport& report, const mesh::FederateOptions& o) {
  Json doc = {{"apiVersion", kApiVersion},
              {"kind", "FederateResult"},
              {"exitCode", report.exit_code()},
              {"dryRun", report.dry_run},
              {"service", {{"namespace", o.namespace_}, {"backing", o.service}, {"federated", o.name}}},
              {"selector", mesh::federation_selector(o)}};
  doc["problems"] = problems_json(report.problems);
  doc["backing"] = Json::array();
  for (const auto& b : report.backing) {
    doc["backing"].push_back({{"cluster", b.cluster},
                              {"exists", b.exists},
                              {"readyEndpoints", b.ready_endpoints},
                              {"label", b.exists ? mesh::action_name(b.action) : ""},
                              {"error", b.error}});
  }
  doc["federated"] = Json::array();
  for (const auto& t : report.targets) {
    doc["federated"].push_back({{"cluster", t.cluster},
                                {"action", mesh::action_name(t.action)},
                                {"error", t.error},
                                {"endpointsBySource", t.endpoints_by_source},
                                {"mirroredEndpoints", t.mirrored},
                                {"missing", t.missing},
                                {"complete", report.waited && t.complete()}});
  }
  doc["warnings"] = report.warnings;
  return doc;
}

std::string federate_table(const mesh::FederateReport& report, const TerminalStyle& style) {
  if (!report.problems.empty())
    return "";  // the CLI prints the refusals on stderr
  Table backing({"CLUSTER", "BACKING SERVICE", "LABEL", "READY ENDPOINTS"});
  for (const auto& b : report.backing) {
    backing.add_row({b.cluster, b.exists ? "yes" : "-",
                     b.exists ? (b.error.empty() ? mesh::action_name(b.action) : "failed: " + b.error) : "-",
                     b.exists ? std::to_string(b.ready_endpoints) : "-"});
  }
  Table federated({"CLUSTER", "FEDERATED SERVICE", "ENDPOINTS BY SOURCE", "STATE"});
  for (const auto& t : report.targets) {
    const bool good = t.error.empty() && (!report.waited || t.missing.empty());
    federated.add_row({t.cluster, mesh::action_name(t.action), sources_cell(t),
                       paint(style, good ? Tone::ok : Tone::bad, state_cell(t, report))});
  }
  return backing.render() + "\n" + federated.render();
}

Json unfederate_json(const mesh::UnfederateReport& report) {
  Json doc = {{"apiVersion", kApiVersion},
              {"kind", "UnfederateResult"},
              {"exitCode", report.exit_code()},
              {"dryRun", report.dry_run}};
  doc["objects"] = Json::array();
  for (const auto& c : report.changes) {
    doc["objects"].push_back({{"cluster", c.cluster},
                              {"kind", c.kind},
                              {"namespace", c.namespace_},
                              {"name", c.name},
                              {"action", mesh::removal_name(c.action)},
                              {"detail", c.detail}});
  }
  doc["errors"] = Json::array();  // v1alpha1 keeps the field; a failure is an object with action "failed"
  return doc;
}

std::string unfederate_table(const mesh::UnfederateReport& report) {
  if (report.changes.empty())
    return "nothing of federate's found\n";
  Table table({"CLUSTER", "KIND", "NAMESPACE", "NAME", "ACTION", "DETAIL"});
  for (const auto& c : report.changes)
    table.add_row({c.cluster, c.kind, c.namespace_, c.name, mesh::removal_name(c.action),
                   c.detail.empty() ? "-" : c.detail});
  return table.render();
}

}  // namespace meshctl::output
