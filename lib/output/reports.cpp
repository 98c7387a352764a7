#include "output/reports.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>

#include "calico/link_state.h"
#include "output/errors.h"
#include "output/table.h"
#include "output/yaml.h"

namespace meshctl::output {
namespace {

constexpr const char* kApiVersion = "meshctl.projectcalico.org/v1alpha1";

Tone tone_for(calico::LinkState state) {
  switch (state) {
    case calico::LinkState::in_sync:
      return Tone::ok;
    case calico::LinkState::connecting:
    case calico::LinkState::resyncing:
    case calico::LinkState::unknown:
    case calico::LinkState::restart_required:
    case calico::LinkState::stale_failure:
      return Tone::warn;
    default:
      return Tone::bad;
  }
}

std::string duration(long long seconds) {
  bool negative = seconds < 0;
  long long s = negative ? -seconds : seconds;
  std::string text = s >= 86400  ? fmt::format("{}d", s / 86400)
                     : s >= 3600 ? fmt::format("{}h", s / 3600)
                     : s >= 60   ? fmt::format("{}m", s / 60)
                                 : fmt::format("{}s", s);
  return negative ? "-" + text : text;
}

std::string token_cell(const mesh::CredentialCheck& c) {
  if (c.token_kind.empty())
    return "-";
  std::string text = c.token_kind;
  if (c.age_seconds)
    text += ", age " + duration(*c.age_seconds);
  if (c.expires_in_seconds) {
    text += *c.expires_in_seconds < 0 ? ", expired" : ", expires in " + duration(*c.expires_in_seconds);
  }
  if (c.stale)
    text += ", stale";
  return text;
}

std::string objects_cell(const mesh::LinkStatus& l) {
  if (!l.configured)
    return "-";
  for (const auto& o : l.objects) {
    if (!o.problem.empty())
      return o.kind + " " + o.problem;
  }
  return "ok";
}

// calico-kube-controllers' view of a link, or null when it said nothing.
Json witness_json(const std::optional<calico::LinkEvent>& witness) {
  if (!witness)
    return nullptr;
  return {{"source", "kube-controllers"},
          {"state", std::string(calico::link_state_name(witness->state))},
          {"detail", witness->detail},
          {"since", witness->timestamp}};
}

}  // namespace

Result<Format> parse_format(const std::string& text) {
  if (text == "table" || text.empty())
    return Format::table;
  if (text == "wide")
    return Format::wide;
  if (text == "json")
    return Format::json;
  if (text == "yaml")
    return Format::yaml;
  if (text == "name")
    return Format::name;
  return Error(Errc::usage, "unknown output format \"" + text + "\"",
               "use one of: table, wide, json, yaml, name");
}

std::string serialize(const Json& document, Format format) {
  if (format == Format::yaml) {
    return to_yaml(document);
  }
  return document.dump(2) + "\n";
}

Json flavour_json(const calico::Flavour& f) {
  Json doc = {{"apiMode", calico::api_mode_name(f.api_mode)},
              {"enterpriseVersion", f.enterprise_version},
              {"calicoVersion", f.calico_version},
              {"licence", calico::licence_name(f.licence)},
              {"licenceExpiry", f.licence_expiry},
              {"nonClusterHostTypha", f.noncluster_typha},
              {"unread", f.unread}};
  doc["migration"] =
      f.migration_phase ? Json{{"name", f.migration_name}, {"phase", *f.migration_phase}} : Json(nullptr);
  doc["vxlan"] = f.vxlan ? Json(*f.vxlan) : Json(nullptr);
  doc["wireguard"] = f.wireguard ? Json(*f.wireguard) : Json(nullptr);
  return doc;
}

Json join_json(const mesh::JoinReport& report) {
  Json doc = {{"apiVersion", kApiVersion}, {"kind", "JoinResult"}, {"dryRun", report.dry_run}};
  doc["exitCode"] = report.exit_code();
  doc["interrupted"] = report.interrupted;
  doc["clusters"] = Json::array();
  for (const auto& c : report.clusters) {
    doc["clusters"].push_back(
        {{"name", c.name}, {"calico", flavour_json(c.flavour)}, {"overlayRouting", c.overlay_routing}});
  }
  doc["preflightProblems"] = problems_json(report.preflight_problems);
  doc["objects"] = Json::array();
  for (const auto& o : report.objects) {
    Json j = {{"cluster", o.cluster},
              {"kind", o.kind},
              {"namespace", o.namespace_},
              {"name", o.name},
              {"action", mesh::action_name(o.action)}};
    if (!o.remote.empty())
      j["remote"] = o.remote;
    if (!o.error.empty())
      j["error"] = o.error;
    doc["objects"].push_back(j);
  }
  doc["links"] = Json::array();
  for (const auto& l : report.links) {
    doc["links"].push_back({{"local", l.local},
                            {"remote", l.remote},
                            {"written", l.written},
                            {"verified", l.verified},
                            {"state", std::string(calico::link_state_name(l.state))},
                            {"detail", l.detail}});
  }
  doc["warnings"] = report.warnings;
  doc["errors"] = Json::array();
  for (const auto& e : report.errors)
    doc["errors"].push_back(with_hint(e.message, e.hint));
  doc["unreachable"] = report.unreachable;
  return doc;
}

std::string join_table(const mesh::JoinReport& report, const TerminalStyle& style, Format format) {
  std::string out;
  if (!report.preflight_problems.empty())
    return out;  // the CLI prints problems on stderr
  if (report.dry_run || format == Format::wide) {
    Table objects({"CLUSTER", "KIND", "NAMESPACE", "NAME", "ACTION"});
    for (const auto& o : report.objects) {
      Tone tone = o.action == mesh::Action::unchanged ? Tone::dim
                  : o.action == mesh::Action::failed  ? Tone::bad
                                                      : Tone::ok;
      objects.add_row({o.cluster, o.kind, o.namespace_.empty() ? "-" : o.namespace_, o.name,
                       paint(style, tone, mesh::action_name(o.action))});
    }
    out += objects.render();
    if (report.dry_run)
      return out;
    out += "\n";
  }
  Table links({"LOCAL", "REMOTE", "STATE", "DETAIL"});
  for (const auto& l : report.links) {
    std::string state = !l.written   ? "not-written"
                        : l.verified ? std::string(calico::link_state_name(l.state))
                                     : "written";
    Tone tone = !l.written ? Tone::bad : l.verified ? tone_for(l.state) : Tone::ok;
    links.add_row({l.local, "<- " + l.remote, paint(style, tone, state), l.detail});
  }
  out += links.render();
  std::map<std::string, int> counts;
  for (const auto& o : report.objects)
    counts[mesh::action_name(o.action)]++;
  std::string summary;
  for (const auto& [action, n] : counts)
    summary += fmt::format("{}{} {}", summary.empty() ? "" : ", ", n, action);
  if (!summary.empty())
    out += paint(style, Tone::dim, "objects: " + summary) + "\n";
  return out;
}

Json status_json(const mesh::StatusReport& report) {
  Json doc = {{"apiVersion", kApiVersion}, {"kind", "MeshStatus"}, {"exitCode", report.exit_code()}};
  doc["clusters"] = Json::array();
  for (const auto& c : report.clusters) {
    doc["clusters"].push_back({{"name", c.name},
                               {"context", c.context},
                               {"reachable", c.reachable},
                               {"error", c.reachable ? "" : c.error.message},
                               {"typhaReplicas", c.typha_replicas},
                               {"discovered", c.discovered},
                               {"calico", c.reachable ? flavour_json(c.flavour) : Json(nullptr)}});
  }
  doc["links"] = Json::array();
  for (const auto& l : report.links) {
    Json objects = Json::array();
    for (const auto& o : l.objects) {
      objects.push_back({{"kind", o.kind},
                         {"namespace", o.namespace_},
                         {"name", o.name},
                         {"present", o.present},
                         {"problem", o.problem}});
    }
    Json credential = {{"result", l.credential.result},
                       {"detail", l.credential.detail},
                       {"tokenKind", l.credential.token_kind},
                       {"stale", l.credential.stale}};
    credential["ageSeconds"] = l.credential.age_seconds ? Json(*l.credential.age_seconds) : Json(nullptr);
    credential["expiresInSeconds"] =
        l.credential.expires_in_seconds ? Json(*l.credential.expires_in_seconds) : Json(nullptr);
    doc["links"].push_back({{"local", l.local},
                            {"remote", l.remote},
                            {"managed", l.managed},
                            {"configured", l.configured},
                            {"state", l.state_name},
                            {"healthy", l.healthy()},
                            {"detail", l.detail},
                            {"source", l.source},
                            {"since", l.since},
                            {"witness", witness_json(l.witness)},
                            {"objects", objects},
                            {"overlayRouting", l.overlay_routing},
                            {"dataPlane", l.data_plane},
                            {"credential", credential}});
  }
  doc["federatedServices"] = Json::array();
  for (const auto& s : report.services) {
    doc["federatedServices"].push_back({{"cluster", s.seen.cluster},
                                        {"namespace", s.namespace_},
                                        {"name", s.name},
                                        {"backing", s.backing},
                                        {"readyBackendsByCluster", s.ready_by_cluster},
                                        {"endpointsBySource", s.seen.endpoints_by_source},
                                        {"mirroredEndpoints", s.seen.mirrored},
                                        {"missing", s.seen.missing}});
  }
  doc["warnings"] = report.warnings;
  return doc;
}

std::string status_table(const mesh::StatusReport& report, const TerminalStyle& style, Format format) {
  std::vector<std::string> headers{"LOCAL", "REMOTE", "STATE", "OBJECTS", "CREDENTIAL", "TOKEN"};
  if (format == Format::wide) {
    headers.push_back("ROUTING");
    headers.push_back("SOURCE");
    headers.push_back("KUBE-CONTROLLERS");
  }
  headers.push_back("DETAIL");
  Table table(headers);
  for (const auto& l : report.links) {
    std::string remote = "<- " + l.remote + (l.configured && !l.managed ? " (hand-made)" : "");
    Tone tone = l.healthy() ? Tone::ok : l.configured ? tone_for(l.state) : Tone::bad;
    std::vector<std::string> row{l.local,
                                 remote,
                                 paint(style, tone, l.state_name),
                                 objects_cell(l),
                                 l.credential.result,
                                 token_cell(l.credential)};
    if (format == Format::wide) {
      row.push_back(l.overlay_routing.empty() ? "-" : l.overlay_routing);
      row.push_back(l.source.empty() ? "-" : l.source);
      row.push_back(l.witness ? std::string(calico::link_state_name(l.witness->state)) : "-");
    }
    row.push_back(l.detail);
    table.add_row(row);
  }
  std::string out = table.render();
  if (!report.services.empty()) {
    Table services({"CLUSTER", "FEDERATED SERVICE", "BACKING", "ENDPOINTS BY SOURCE", "STATE"});
    for (const auto& s : report.services) {
      std::vector<std::string> sources;
      for (const auto& [cluster, n] : s.seen.endpoints_by_source)
        sources.push_back(fmt::format("{}:{}", cluster, n));
      const bool complete = s.seen.missing.empty();
      services.add_row(
          {s.seen.cluster, s.namespace_ + "/" + s.name, s.backing,
           sources.empty() ? "-" : fmt::format("{}", fmt::join(sources, " ")),
           paint(style, complete ? Tone::ok : Tone::bad,
                 complete ? "complete" : fmt::format("missing {}", fmt::join(s.seen.missing, ", ")))});
    }
    out += '\n';  // not "\n" + render(): GCC 12 at -O3 warns (-Wrestrict) on that form
    out += services.render();
  }
  for (const auto& l : report.links) {
    for (const auto& line : l.data_plane)
      out += paint(style, Tone::bad, fmt::format("{} <- {}: data plane: {}\n", l.local, l.remote, line));
  }
  for (const auto& c : report.clusters) {
    if (c.reachable && format == Format::wide) {
      out += fmt::format("cluster {}: Calico {}{}, Typha replicas {}\n", c.name, calico::describe(c.flavour),
                         c.flavour.noncluster_typha ? " (and non-cluster-host Typha)" : "", c.typha_replicas);
    }
    if (!c.reachable)
      out += paint(
          style, Tone::bad,
          fmt::format("cluster {} ({}) {}: {}\n", c.name, c.context,
                      outcome_of(c.error.code) == Outcome::unreachable ? "unreachable" : "could not be read",
                      with_hint(c.error.message, c.error.hint)));
  }
  return out;
}

Json teardown_json(const mesh::TeardownReport& report) {
  Json doc = {{"apiVersion", kApiVersion},
              {"kind", "TeardownResult"},
              {"dryRun", report.dry_run},
              {"exitCode", report.exit_code()}};
  doc["objects"] = Json::array();
  for (const auto& o : report.objects) {
    doc["objects"].push_back({{"cluster", o.cluster},
                              {"kind", o.kind},
                              {"namespace", o.namespace_},
                              {"name", o.name},
                              {"action", mesh::removal_name(o.action)},
                              {"detail", o.detail}});
  }
  doc["unreachable"] = Json::array();  // "name: cause", as v1alpha1 has always spelled it
  for (const auto& u : report.unreachable)
    doc["unreachable"].push_back(u.cluster + ": " + u.message);
  doc["errors"] =
      Json::array();  // v1alpha1 keeps the field; a failed delete is an object with action "failed"
  return doc;
}

std::string teardown_table(const mesh::TeardownReport& report, const TerminalStyle& style) {
  Table table({"CLUSTER", "KIND", "NAMESPACE", "NAME", "ACTION"});
  for (const auto& o : report.objects) {
    Tone tone = o.action == mesh::Removal::failed ? Tone::bad
                : o.action == mesh::Removal::kept_unmanaged || o.action == mesh::Removal::released
                    ? Tone::warn
                    : Tone::ok;
    table.add_row({o.cluster, o.kind, o.namespace_.empty() ? "-" : o.namespace_, o.name,
                   paint(style, tone, mesh::removal_name(o.action))});
  }
  std::string out = report.objects.empty() ? "nothing to delete\n" : table.render();
  for (const auto& u : report.unreachable)
    out +=
        paint(style, Tone::bad, "not cleaned: " + with_hint(u.message, u.hint) + "\n");  // names the context
  return out;
}

Json problems_json(const std::vector<mesh::ClusterProblem>& problems) {
  Json out = Json::array();
  for (const auto& p : problems)
    out.push_back(
        {{"cluster", p.cluster}, {"reason", errc_name(p.code)}, {"message", p.message}, {"hint", p.hint}});
  return out;
}

// One line per problem, each saying that nothing was written, so that a single
// problem is a single line that stands alone.
std::string preflight_problem_lines(const std::vector<mesh::ClusterProblem>& problems) {
  std::string out;
  for (const auto& p : problems)
    out += fmt::format("meshctl: error: preflight: {}; nothing was written\n", with_hint(p.message, p.hint));
  return out;
}

std::string join_problem_lines(const mesh::JoinReport& report) {
  return preflight_problem_lines(report.preflight_problems);
}

namespace {

std::string describe_object(const mesh::ObjectResult& o) {
  return fmt::format("{}: {} {}{}", o.cluster, o.kind, o.namespace_.empty() ? "" : o.namespace_ + "/",
                     o.name);
}

}  // namespace

// After SIGINT/SIGTERM: what was written, and by name what was not, so that
// the user knows the state the clusters are in (re-running join finishes it).
std::string join_interrupt_summary(const mesh::JoinReport& report) {
  std::vector<std::string> skipped, failed;
  int written = 0;
  for (const auto& o : report.objects) {
    if (o.action == mesh::Action::skipped)
      skipped.push_back(describe_object(o));
    else if (o.action == mesh::Action::failed)
      failed.push_back(describe_object(o));
    else if (o.action != mesh::Action::unchanged)
      ++written;
  }
  std::vector<std::string> links_not_written, links_unverified;
  for (const auto& l : report.links) {
    std::string name = l.local + " <- " + l.remote;
    if (!l.written)
      links_not_written.push_back(name);
    else if (!l.verified || l.state != calico::LinkState::in_sync)
      links_unverified.push_back(name);
  }
  std::string out = "meshctl: interrupted: ";
  if (written == 0 && report.dry_run)
    out += "dry run, nothing was written\n";
  else if (written == 0)
    out += "nothing was written\n";
  else
    out += fmt::format("{} object(s) were written\n", written);
  if (!skipped.empty())
    out += fmt::format("meshctl: not written (skipped), {}:\n", skipped.size());
  for (const auto& s : skipped)
    out += "  " + s + "\n";
  if (!failed.empty())
    out += fmt::format("meshctl: failed, {}:\n", failed.size());
  for (const auto& s : failed)
    out += "  " + s + "\n";
  if (!links_not_written.empty()) {
    out += fmt::format("meshctl: links not (completely) written, {}: {}\n", links_not_written.size(),
                       fmt::join(links_not_written, ", "));
  }
  if (!links_unverified.empty()) {
    out += fmt::format("meshctl: links written but not seen in sync, {}: {}\n", links_unverified.size(),
                       fmt::join(links_unverified, ", "));
  }
  if (skipped.empty() && failed.empty() && links_not_written.empty())
    out += "meshctl: every object was written; the run stopped while waiting for Typha\n";
  out += "meshctl: run the same join again to finish\n";
  return out;
}

std::string status_unhealthy_summary(const mesh::StatusReport& report) {
  std::vector<std::string> parts;
  for (const auto& c : report.clusters) {
    if (!c.reachable && !c.discovered)
      parts.push_back(c.name +
                      (outcome_of(c.error.code) == Outcome::unreachable ? " unreachable" : " unread"));
  }
  std::vector<std::string> links;
  for (const auto& l : report.links) {
    if (l.healthy())
      continue;
    std::string why = !l.configured           ? "not configured"
                      : !l.data_plane.empty() ? "data plane cannot carry traffic"
                      : l.misconfigured()     ? "objects missing or wrong"
                      : (l.credential.result != "ok" && l.credential.result != "not-checked")
                          ? "stored credential " + l.credential.result
                          : l.state_name;
    links.push_back(fmt::format("{} <- {} {}", l.local, l.remote, why));
  }
  if (!links.empty()) {
    parts.push_back(fmt::format("{} of {} links not healthy: {}", links.size(), report.links.size(),
                                fmt::join(links, ", ")));
  }
  for (const auto& s : report.services) {
    if (!s.seen.missing.empty())
      parts.push_back(fmt::format("{}/{} in {} lists no endpoints of {}", s.namespace_, s.name,
                                  s.seen.cluster, fmt::join(s.seen.missing, ", ")));
  }
  return parts.empty() ? "every link healthy" : fmt::format("{}", fmt::join(parts, "; "));
}

}  // namespace meshctl::output
