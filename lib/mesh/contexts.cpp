#include "mesh/contexts.h"

#include "util/parallel.h"

namespace meshctl::mesh {
namespace {

std::string auth_label(const kube::UserEntry& user) {
  if (user.kind == kube::AuthKind::exec && user.exec)
    return "exec:" + user.exec->command;
  if (user.kind == kube::AuthKind::auth_provider)
    return "auth-provider:" + user.auth_provider_name;
  return kube::auth_kind_name(user.kind);
}

ContextCheck inspect(const kube::Kubeconfig& config, const kube::ContextSummary& summary, bool check,
                     const kube::ClientOptions& options) {
  ContextCheck row{summary, "", "", "-", true};
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
  auto client = kube::Client::create(*resolved, options);
  if (!client) {
    row.check = client.error().message;
    row.ok = false;
    return row;
  }
  auto allowed = (*client)->can_i({"get", "", "namespaces", "", "", ""});
  if (!allowed) {
    row.check = std::string(errc_name(allowed.error().code)) + ": " + allowed.error().message;
    row.ok = false;
  } else {
    row.check = "ok";
  }
  return row;
}

}  // namespace

ContextList inspect_contexts(const kube::Kubeconfig& config, ContextProbe probe,
                             const kube::ClientOptions& options) {
  auto summaries = config.contexts();
  const bool check = probe == ContextProbe::connect;
  ContextList list{config.current_context(), check, {}};
  list.contexts = parallel_map<ContextCheck>(
      summaries.size(), [&](size_t i) { return inspect(config, summaries[i], check, options); });
  return list;
}

Result<std::string> server_version(const kube::Kubeconfig& config, const std::string& context,
                                   const kube::ClientOptions& options) {
  TRY_ASSIGN(auto resolved, config.resolve(context));
  TRY_ASSIGN(auto client, kube::Client::create(resolved, options));
  TRY_ASSIGN(auto server, client->version());
  return server.git_version;
}

}  // namespace meshctl::mesh
