// meshctl version, meshctl contexts, meshctl completion.
#include <fmt/format.h>

#include <algorithm>

#include "app.h"
#include "output/table.h"
#include "util/parallel.h"

namespace meshctl::cli {
namespace {

struct VersionFlags {
  std::string context;
  std::string output = "table";
};

struct ContextsFlags {
  bool check = false;
  std::string output = "table";
};

Result<int> run_version(App& app, const VersionFlags& f) {
  app.prepare();
  TRY_ASSIGN(auto format, output::parse_format(f.output));
  output::Json doc = {{"apiVersion", "meshctl.projectcalico.org/v1alpha1"},
                      {"kind", "Version"},
                      {"exitCode", 0},
                      {"clientVersion", MESHCTL_VERSION},
                      {"build",
                       {{"gitDescribe", MESHCTL_GIT_DESCRIBE},
                        {"commit", MESHCTL_GIT_COMMIT},
                        {"date", MESHCTL_BUILD_DATE}}}};
  if (!f.context.empty()) {
    TRY_ASSIGN(auto config, app.load_kubeconfig());
    TRY_ASSIGN(auto context, config.resolve(f.context));
    TRY_ASSIGN(auto client, kube::Client::create(context, app.client_options()));
    TRY_ASSIGN(auto server, client->version());
    doc["serverVersion"] = server.git_version;
  }
  if (format == output::Format::json || format == output::Format::yaml) {
    fmt::print("{}", output::serialize(doc, format));
  } else {
    fmt::print("Client Version: {}{}\n", MESHCTL_VERSION,
               std::string(MESHCTL_GIT_DESCRIBE).empty() ? "" : fmt::format(" ({})", MESHCTL_GIT_DESCRIBE));
    if (doc.contains("serverVersion"))
      fmt::print("Server Version: {}\n", doc["serverVersion"].get<std::string>());
  }
  return exit_code(Outcome::ok);
}

struct ContextRow {
  kube::ContextSummary summary;
  std::string server, auth, check = "-";
  bool ok = true;
};

std::string auth_label(const kube::UserEntry& user) {
  if (user.kind == kube::AuthKind::exec && user.exec)
    return "exec:" + user.exec->command;
  if (user.kind == kube::AuthKind::auth_provider)
    return "auth-provider:" + user.auth_provider_name;
  return kube::auth_kind_name(user.kind);
}

ContextRow inspect_context(const App& app, const kube::Kubeconfig& config,
                           const kube::ContextSummary& summary, bool check) {
  ContextRow row{summary, "", "", "-", true};
  auto resolved = config.resolve(summary.name);
  if (!resolved) {
    row.auth = "?";
    row.check = "invalid: " + resolved.error().message;
    row.ok = false;
    return row;
  }
  row.server = resolved->cluster.server;
  row.auth = auth_label(resolved->user);
  if (!check)
    return row;
  // As status: bounded by min(--request-timeout, 10s) per try, one retry.
  auto options = app.client_options();
  options.request_timeout = std::min(options.request_timeout, std::chrono::milliseconds(10000));
  options.connect_timeout = std::min(options.connect_timeout, options.request_timeout);
  options.max_retries = 1;
  auto client = kube::Client::create(*resolved, options);
  if (!client) {
    row.check = client.error().message;
    row.ok = false;
    return row;
  }
  // A SelfSubjectAccessReview needs an authenticated caller, unlike /version.
  auto allowed = (*client)->can_i({"get", "", "namespaces", "", "", ""});
  if (!allowed) {
    row.check = std::string(errc_name(allowed.error().code)) + ": " + allowed.error().message;
    row.ok = false;
  } else {
    row.check = "ok";
  }
  return row;
}

Result<int> run_contexts(App& app, const ContextsFlags& f) {
  app.prepare();
  TRY_ASSIGN(auto config, app.load_kubeconfig());
  if (f.output == "name") {  // for shell completion and scripts
    for (const auto& c : config.contexts())
      fmt::print("{}\n", c.name);
    return exit_code(Outcome::ok);
  }
  TRY_ASSIGN(auto format, output::parse_format(f.output));
  auto summaries = config.contexts();
  auto rows = parallel_map<ContextRow>(
      summaries.size(), [&](size_t i) { return inspect_context(app, config, summaries[i], f.check); });
  bool all_ok = true;
  output::Json doc = {{"apiVersion", "meshctl.projectcalico.org/v1alpha1"},
                      {"kind", "ContextList"},
                      {"currentContext", config.current_context()},
                      {"contexts", output::Json::array()}};
  output::Table table({"CURRENT", "NAME", "CLUSTER", "SERVER", "NAMESPACE", "AUTH", f.check ? "CHECK" : ""});
  for (const auto& row : rows) {
    all_ok = all_ok && row.ok;
    output::Json entry = {{"name", row.summary.name}, {"cluster", row.summary.cluster},
                          {"user", row.summary.user}, {"namespace", row.summary.namespace_name},
                          {"server", row.server},     {"auth", row.auth}};
    if (f.check)
      entry["check"] = row.check;
    doc["contexts"].push_back(entry);
    std::string check_cell =
        !f.check ? "" : output::paint(app.style, row.ok ? output::Tone::ok : output::Tone::bad, row.check);
    table.add_row({row.summary.name == config.current_context() ? "*" : "", row.summary.name,
                   row.summary.cluster, row.server, row.summary.namespace_name, row.auth, check_cell});
  }
  const int code = all_ok ? exit_code(Outcome::ok) : exit_code(Outcome::unreachable);
  doc["exitCode"] = code;
  if (format == output::Format::json || format == output::Format::yaml) {
    fmt::print("{}", output::serialize(doc, format));
  } else {
    fmt::print("{}", table.render());
  }
  return code;
}

}  // namespace

void add_version_command(CLI::App& root, App& app) {
  auto flags = std::make_shared<VersionFlags>();
  auto* cmd = root.add_subcommand("version", "Print meshctl's version (and a cluster's, with --context)");
  cmd->footer("\nExamples:\n  meshctl version\n  meshctl version -o json\n  meshctl version --context iad");
  cmd->add_option("--context", flags->context, "Also ask this context's API server for its version");
  cmd->add_option("-o,--output", flags->output, "table|json|yaml");
  cmd->callback([&app, flags] { run_and_finish([&]() -> Result<int> { return run_version(app, *flags); }); });
}

void add_contexts_command(CLI::App& root, App& app) {
  auto flags = std::make_shared<ContextsFlags>();
  auto* cmd = root.add_subcommand(
      "contexts",
      "List kubeconfig contexts with their server and kind of credentials; --check tries each one");
  cmd->footer(
      "\nExamples:\n  meshctl contexts\n  meshctl contexts --check      # runs login plugins, asks each "
      "server"
      "\n  meshctl contexts -o name");
  cmd->add_flag("--check", flags->check,
                "Connect to every context (in parallel) and check that it authenticates");
  cmd->add_option("-o,--output", flags->output, "table|json|yaml|name");
  cmd->callback(
      [&app, flags] { run_and_finish([&]() -> Result<int> { return run_contexts(app, *flags); }); });
}

}  // namespace meshctl::cli
