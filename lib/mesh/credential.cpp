#include "mesh/credential.h"

#include <fmt/format.h>

#include <ctime>
#include <utility>
#include <vector>

#include "calico/remote_kubeconfig.h"
#include "kube/client.h"
#include "util/jwt.h"
#include "util/outcome.h"
#include "util/parallel.h"

namespace meshctl::mesh {
namespace {

std::optional<long long> seconds_since(const std::string& rfc3339) {
  std::tm tm{};
  if (strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm) == nullptr)
    return std::nullopt;
  auto then = timegm(&tm);
  return static_cast<long long>(std::time(nullptr) - then);
}

void read_token_facts(CredentialCheck& out, const Secret& token, const RemoteTokenFacts* remote) {
  auto claims = jwt_claims(token.reveal());
  if (claims.contains("exp") && claims["exp"].is_number()) {
    out.token_kind = "bound";
    out.expires_in_seconds = claims["exp"].get<long long>() - static_cast<long long>(std::time(nullptr));
    if (claims.contains("iat") && claims["iat"].is_number())
      out.lifetime_seconds = claims["exp"].get<long long>() - claims["iat"].get<long long>();
  } else {
    out.token_kind = claims.empty() ? "unknown" : "secret";
  }
  if (remote != nullptr && out.token_kind == "secret") {
    if (remote->created)
      out.age_seconds = seconds_since(*remote->created);
    if (remote->token)
      out.stale = *remote->token != token.reveal();
  }
}

std::string result_for_error(Errc code) {
  if (code == Errc::unauthorized)
    return "unauthorized";
  if (outcome_of(code) == Outcome::unreachable)  // TLS failures too, as for the clusters themselves
    return "unreachable";
  return "error";
}

// The group a remote syncer reads Calico resources in, as Typha picks it:
// crd.projectcalico.org when served (also beside projectcalico.org),
// projectcalico.org when only that is served (native v3 CRDs), and
// crd.projectcalico.org when discovery fails. A remote that does not answer
// at all is that error: the question after it would only wait again.
Result<std::string> calico_group_served(kube::ClusterApi& client) {
  auto response = client.request("GET", "/apis");
  if (!response && outcome_of(response.error().code) == Outcome::unreachable)
    return response.error();
  if (!response)
    return std::string("crd.projectcalico.org");
  auto groups = kube::Json::parse(response->body, nullptr, false);
  bool v3_only = false;
  if (groups.is_object()) {
    for (const auto& group : groups.value("groups", kube::Json::array())) {
      auto name = group.value("name", "");
      if (name == "crd.projectcalico.org")
        return name;
      v3_only = v3_only || name == "projectcalico.org";
    }
  }
  return std::string(v3_only ? "projectcalico.org" : "crd.projectcalico.org");
}

}  // namespace

CredentialCheck check_credential(const std::string& kubeconfig_text, const RemoteTokenFacts* remote,
                                 Probe probe, std::chrono::milliseconds request_timeout) {
  CredentialCheck out;
  auto stored = calico::read_remote_kubeconfig(kubeconfig_text);
  if (!stored) {
    out.result = "invalid";
    out.detail = stored.error().message;
    return out;
  }
  read_token_facts(out, stored->token, remote);
  if (probe == Probe::no)
    return out;

  auto config = kube::parse_kubeconfig(kubeconfig_text, "stored kubeconfig", "/");
  if (!config) {
    out.result = "invalid";
    out.detail = config.error().message;
    return out;
  }
  auto context = config->resolve("");
  if (!context) {
    out.result = "invalid";
    out.detail = context.error().message;
    return out;
  }
  kube::ClientOptions options;
  options.request_timeout = request_timeout;
  options.connect_timeout = std::min<std::chrono::milliseconds>(std::chrono::seconds(3), request_timeout);
  options.max_retries = 1;
  auto client = kube::Client::create(*context, options);
  if (!client) {
    out.result = "invalid";
    out.detail = client.error().message;
    return out;
  }
  // The three questions go together; the pools' group needs discovery first.
  const std::vector<std::string> resources{"pods", "nodes", "ippools"};
  std::vector<std::string> groups(resources.size());
  auto answers = parallel_map<Result<bool>>(resources.size(), [&](size_t i) -> Result<bool> {
    if (resources[i] == "ippools") {
      TRY_ASSIGN(groups[i], calico_group_served(**client));
    }
    return (*client)->can_i({"list", groups[i], resources[i], "", "", ""});
  });
  std::vector<std::string> denied;
  for (size_t i = 0; i < resources.size(); ++i) {
    const std::string& group = groups[i];
    const std::string& resource = resources[i];
    const auto& allowed = answers[i];
    if (!allowed) {
      out.result = result_for_error(allowed.error().code);
      out.detail = allowed.error().message;
      return out;
    }
    if (!*allowed)
      denied.push_back(group.empty() ? resource : resource + "." + group);
  }
  if (denied.empty()) {
    out.result = "ok";
    return out;
  }
  out.result = "forbidden";
  std::string list;
  for (const auto& d : denied)
    list += (list.empty() ? "" : ", ") + d;
  out.detail = "the stored identity may not list " + list + " in the remote cluster";
  return out;
}

namespace {

std::string rough_duration(long long seconds) {
  if (seconds >= 2 * 86400)
    return fmt::format("{}d", seconds / 86400);
  if (seconds >= 2 * 3600)
    return fmt::format("{}h", seconds / 3600);
  if (seconds >= 120)
    return fmt::format("{}m", seconds / 60);
  return fmt::format("{}s", seconds);
}

}  // namespace

std::optional<std::string> expiry_warning(const std::string& local, const std::string& remote,
                                          const CredentialCheck& credential) {
  if (credential.token_kind != "bound" || !credential.expires_in_seconds)
    return std::nullopt;
  const long long left = *credential.expires_in_seconds;
  const std::string renew = fmt::format("run `meshctl rotate {}` (or join again) to renew it", remote);
  if (left <= 0)
    return fmt::format("{} <- {}: the stored bound token has expired; {}", local, remote, renew);
  if (!credential.lifetime_seconds || *credential.lifetime_seconds <= 0 ||
      left * 5 > *credential.lifetime_seconds)
    return std::nullopt;
  const long long used = 100 - left * 100 / *credential.lifetime_seconds;
  return fmt::format("{} <- {}: the stored bound token has used {}% of its lifetime (expires in {}); {}",
                     local, remote, used, rough_duration(left), renew);
}

std::optional<std::string> granted_lifetime_warning(const std::string& context,
                                                    std::chrono::system_clock::time_point expiry,
                                                    std::chrono::seconds asked) {
  auto granted =
      std::chrono::duration_cast<std::chrono::seconds>(expiry - std::chrono::system_clock::now()).count();
  // A minute of slack: the server counts from its own clock, a little earlier.
  if (granted + 60 >= asked.count())
    return std::nullopt;
  return fmt::format(
      "{}: the API server granted bound tokens {} of the {} asked (its "
      "--service-account-max-token-expiration); "
      "renew the links before then with `meshctl rotate`",
      context, rough_duration(std::max<long long>(granted, 0)), rough_duration(asked.count()));
}

bool is_stale_failure(const calico::LinkEvent& event, const CredentialCheck& credential) {
  return event.state == calico::LinkState::connection_failed && event.failed_after_sync &&
         credential.result == "ok";
}

std::string stale_failure_detail(const std::string& remote, const calico::LinkEvent& event,
                                 const std::string& restart_command) {
  return fmt::format(
      "Typha reported the connection to {} failed ({}{}) after it had been in sync, and Typha never reports "
      "a "
      "recovery; the stored credential works from here. Re-verify with: {}",
      remote, event.timestamp.empty() ? "" : "at " + event.timestamp + ": ", event.detail, restart_command);
}

std::string typha_restart_command(const std::string& context, const std::vector<std::string>& deployments) {
  std::string out = "kubectl --context " + context + " rollout restart";
  for (const auto& name : deployments)
    out += " deployment/" + name;
  if (deployments.empty())
    out += " deployment/calico-typha";
  return out + " -n calico-system";
}

}  // namespace meshctl::mesh
