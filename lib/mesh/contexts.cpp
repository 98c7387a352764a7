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
  // Built whole at each return: GCC 12 at -O3 warns (-Wrestrict, a false
  // positive) on assigning short literals to the fields one by one.
  auto resolved = config.resolve(summary.name);
  if (!resolved)
    return ContextCheck{summary, "", "?", "invalid: " + resolved.error().message, false};
  const std::string server = resolved->cluster.server;
  const std::string auth = auth_label(resolved->user);
  if (!check)
    return ContextCheck{summary, server, auth, "-", true};
  auto client = kube::Client::create(*resolved, options);
  if (!client)
    return ContextCheck{summary, server, auth, client.error().message, false};
  auto allowed = (*client)->can_i({"get", "", "namespaces", "", "", ""});
  if (!allowed)
    return ContextCheck{summary, server, auth,
                        std::string(errc_name(allowed.error().code)) + ": " + allowed.error().message, false};
  return ContextCheck{summary, server, auth, "ok", true};
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
