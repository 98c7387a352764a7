// meshctl federate SERVICE -n NS [CTX...] and meshctl unfederate SERVICE -n NS [CTX...]
#include <fmt/format.h>

#include <algorithm>

#include "app.h"
#include "mesh/discovery.h"
#include "mesh/federate.h"
#include "output/federate.h"
#include "util/duration.h"
#include "util/log.h"

namespace meshctl::cli {
namespace {

struct FederateFlags {
  std::string service, namespace_, name, selector;
  ContextArgs clusters;
  std::vector<std::string> in;
  bool wait = true;
  std::string timeout = "2m";
  std::string dry_run;  // DryRun
  std::string output = "table";
};

Result<mesh::FederateOptions> options_from(const FederateFlags& f, bool dry_run) {
  mesh::FederateOptions o;
  o.service = f.service;
  o.namespace_ = f.namespace_;
  if (o.namespace_.empty())
    return Error(Errc::usage, "the backing Service's namespace is needed", "pass -n NAMESPACE");
  o.name = f.name.empty() ? f.service + "-federated" : f.name;
  if (o.name == o.service)
    return Error(Errc::usage, "--name must differ from the backing Service's name",
                 "the federated Service lives beside it in the same namespace");
  if (f.selector.empty()) {
    o.label_key = std::string(mesh::kFederatedAsLabel);
    o.label_value = o.name;
  } else {
    const auto eq = f.selector.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == f.selector.size())
      return Error(Errc::usage, "--selector \"" + f.selector + "\" is not KEY=VALUE",
                   "e.g. --selector federation=yes");
    o.label_key = f.selector.substr(0, eq);
    o.label_value = f.selector.substr(eq + 1);
  }
  TRY_ASSIGN(auto timeout, parse_duration(f.timeout));
  o.timeout = timeout;
  o.wait = f.wait;
  o.dry_run = dry_run;
  return o;
}

// Named contexts, or every context that holds a mesh.
Result<std::vector<mesh::Cluster>> members(App& app, const FederateFlags& f) {
  TRY_ASSIGN(auto config, app.load_kubeconfig());
  const auto named = f.clusters.all();
  if (named.empty())
    return mesh::discover_mesh(config, app.client_options());
  return mesh::open_named(config, named, app.client_options());
}

// --in takes mesh names or contexts of the members.
Result<std::vector<std::string>> targets_from(const std::vector<std::string>& in,
                                              const std::vector<mesh::Cluster>& clusters) {
  std::vector<std::string> out;
  for (const auto& want : in) {
    auto it = std::find_if(clusters.begin(), clusters.end(), [&](const mesh::Cluster& c) {
      return c.member.mesh_name == want || c.member.context == want;
    });
    if (it == clusters.end())
      return Error(Errc::usage, "--in " + want + " is not one of the clusters of this command",
                   "name it among the contexts too, or leave out --in");
    out.push_back(it->member.mesh_name);
  }
  return out;
}

// What both commands start from: the flags checked, then the clusters opened.
struct Invocation {
  output::Format format;
  mesh::FederateOptions options;
  std::vector<mesh::Cluster> clusters;
};

Result<Invocation> start(App& app, const FederateFlags& f, const std::string& command) {
  app.prepare();
  TRY_ASSIGN(auto format, output::parse_format(f.output));
  TRY_ASSIGN(auto dry_run, parse_dry_run(command, f.dry_run, false));
  TRY_ASSIGN(auto options, options_from(f, dry_run != DryRun::none));
  TRY_ASSIGN(auto clusters, members(app, f));
  return Invocation{format, std::move(options), std::move(clusters)};
}

Result<int> run_federate(App& app, const FederateFlags& f) {
  TRY_ASSIGN(auto run, start(app, f, "federate"));
  auto& [format, options, clusters] = run;
  TRY_ASSIGN(options.targets, targets_from(f.in, clusters));
  auto report = mesh::run_federate(clusters, options, app.progress());
  if (!report.problems.empty())
    std::fputs(log::redact(output::preflight_problem_lines(report.problems)).c_str(), stderr);
  if (format == output::Format::json || format == output::Format::yaml)
    fmt::print("{}", output::serialize(output::federate_json(report, options), format));
  else
    fmt::print("{}", output::federate_table(report, app.style));
  for (const auto& w : report.warnings)
    log::warn("{}", w);
  if (report.waited && report.exit_code() != 0 && report.problems.empty())
    std::fprintf(stderr,
                 "meshctl: not every cluster with ready endpoints is listed by the federated Service yet "
                 "(exit %d); meshctl status --services shows it later\n",
                 report.exit_code());
  return report.exit_code();
}

Result<int> run_unfederate(App& app, const FederateFlags& f) {
  TRY_ASSIGN(auto run, start(app, f, "unfederate"));
  auto& [format, options, clusters] = run;
  auto report = mesh::run_unfederate(clusters, options);
  if (format == output::Format::json || format == output::Format::yaml)
    fmt::print("{}", output::serialize(output::unfederate_json(report), format));
  else
    fmt::print("{}", output::unfederate_table(report));
  return report.exit_code();
}

void add_shared_flags(CLI::App& cmd, FederateFlags& f) {
  cmd.add_option("service", f.service, "The backing Service (same name in every cluster that has it)")
      ->required();
  add_context_args(cmd, f.clusters, "Member contexts (CTX or NAME=CTX); default: every context of the mesh");
  cmd.add_option("-n,--namespace", f.namespace_, "Namespace of the backing Service (required)")->required();
  cmd.add_option("--name", f.name, "Name of the federated Service (default: SERVICE-federated)");
  cmd.add_option("--selector", f.selector,
                 "KEY=VALUE label on the backing Services that the federated Service selects (default: "
                 "meshctl.projectcalico.org/federated-as=NAME)");
  add_dry_run_flag(cmd, f.dry_run, "Ask the API servers, change nothing", false);
  cmd.add_option("-o,--output", f.output, "table|json|yaml")->capture_default_str();
}

}  // namespace

void add_federate_commands(CLI::App& root, App& app) {
  auto ff = std::make_shared<FederateFlags>();
  auto* federate = root.add_subcommand("federate", "Make a Service answer from every cluster of the mesh");
  federate->footer(
      "\nLabels the backing Service in every member that has it, creates the selector-less federated\n"
      "Service (annotation federation.tigera.io/serviceSelector, ports copied by name) in every member\n"
      "(or --in), and waits until Calico's federated-services controller lists, in each, the endpoints of\n"
      "every cluster with ready backends (its Endpoints and the EndpointSlices Kubernetes mirrors).\n\n"
      "Examples:\n  meshctl federate testdb -n redis\n  meshctl federate testdb -n redis iad pdx --in iad\n"
      "  meshctl federate testdb -n redis --selector federation=yes --name testdb-global");
  add_shared_flags(*federate, *ff);
  federate->add_option("--in", ff->in, "Create the federated Service only in these members (repeatable)");
  federate->add_flag("--wait,!--no-wait", ff->wait,
                     "Wait until every cluster's endpoints are listed (default), or --no-wait");
  federate->add_option("--timeout", ff->timeout, "Limit of the wait")
      ->check(duration_check())
      ->capture_default_str();
  federate->callback([&app, ff] { run_and_finish([&]() -> Result<int> { return run_federate(app, *ff); }); });

  auto uf = std::make_shared<FederateFlags>();
  auto* unfederate = root.add_subcommand("unfederate", "Remove what federate made, and nothing else");
  unfederate->footer(
      "\nDeletes the federated Service where meshctl made it, and removes federate's label from the\n"
      "backing Services unless someone else set the same label too.\n\nExamples:\n"
      "  meshctl unfederate testdb -n redis\n  meshctl unfederate testdb -n redis --dry-run");
  add_shared_flags(*unfederate, *uf);
  unfederate->callback(
      [&app, uf] { run_and_finish([&]() -> Result<int> { return run_unfederate(app, *uf); }); });
}

}  // namespace meshctl::cli
