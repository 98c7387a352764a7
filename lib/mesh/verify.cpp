#include "mesh/verify.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "calico/names.h"
#include "mesh/credential.h"
#include "mesh/typha.h"
#include "util/poll.h"

namespace meshctl::mesh {

using Clock = std::chrono::steady_clock;

bool lost_contact(Errc code, int http_status) {
  return outcome_of(code) == Outcome::unreachable || http_status == 503;
}

namespace {

// Lines caused by a link Secret's events name only the Secret.
calico::SecretReaders link_secret_readers(const LinksToVerify& outcome, const std::string& secret_namespace) {
  calico::SecretReaders readers;
  for (const auto& link : outcome.links)
    readers[secret_namespace + "/" + calico::remote_secret_name(link.remote)].push_back(link.remote);
  return readers;
}

// A link is settled when waiting cannot change what Typha says about it: in
// sync, or a failure Typha will never take back (stale, see credential.h).
bool settled(const LinkResult& link) {
  return !link.written || link.state == calico::LinkState::in_sync ||
         link.state == calico::LinkState::stale_failure;
}

// Judges one link from what Typha says, as status does: a failure reported
// after the link had been in sync is stale when the stored credential works.
void judge_link(LinkResult& link, const LinkVerdict& verdict, const Secret& stored_kubeconfig,
                const std::string& restart_command, std::chrono::milliseconds request_timeout) {
  link.state = verdict.event.state;
  link.detail = verdict.event.detail;
  link.verified = true;
  if (!verdict.event.failed_after_sync || link.state != calico::LinkState::connection_failed)
    return;
  auto credential = check_credential(stored_kubeconfig.reveal(), nullptr, Probe::yes, request_timeout);
  if (!is_stale_failure(verdict.event, credential))
    return;
  link.state = calico::LinkState::stale_failure;
  link.detail = stale_failure_detail(link.remote, verdict.event, restart_command);
}

// --restart-stale-typha: restarts Typha where a link holds a stale failure;
// those links then need fresh evidence from the new Typha processes.
bool restart_for_stale_links(Cluster& local, LinksToVerify& outcome, const ProgressFn& progress) {
  std::vector<LinkResult*> stale;
  for (auto& link : outcome.links) {
    if (link.state == calico::LinkState::stale_failure)
      stale.push_back(&link);
  }
  if (stale.empty())
    return false;
  auto restarted = restart_typha(*local.client);
  if (!restarted) {
    for (auto* link : stale)
      link->detail += " (restarting Typha failed: " + restarted.error().message + ")";
    return true;
  }
  progress(local.member.mesh_name,
           fmt::format("restarted {} for {} stale link(s)", fmt::join(*restarted, ", "), stale.size()));
  auto now = Clock::now();
  if (!outcome.first_change || now < *outcome.first_change)
    outcome.first_change = now;
  for (auto* link : stale) {
    link->state = calico::LinkState::unknown;
    link->detail = "waiting for the restarted Typha";
    outcome.changed_remotes.insert(link->remote);
  }
  return true;
}

}  // namespace

void verify_links(Cluster& local, LinksToVerify& outcome, Clock::time_point deadline, const VerifySettings& o,
                  const ProgressFn& progress) {
  TyphaReadOptions read_options;
  read_options.secrets = link_secret_readers(outcome, o.secret_namespace);
  bool restarted = false;
  // A second between polls.
  poll_until(deadline, std::chrono::seconds(1), [&] {
    std::vector<std::string> fresh_wanted;
    bool old_wanted = false;
    for (const auto& link : outcome.links) {
      if (settled(link))
        continue;
      if (outcome.changed_remotes.count(link.remote) > 0)
        fresh_wanted.push_back(link.remote);
      else
        old_wanted = true;
    }
    std::optional<TyphaView> whole, recent;
    if (old_wanted)
      whole = read_typha(*local.client, read_options);
    if (!fresh_wanted.empty() && outcome.first_change) {
      auto elapsed = std::chrono::duration<double>(Clock::now() - *outcome.first_change).count();
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      TyphaReadOptions since_change = read_options;
      since_change.since_seconds = static_cast<int>(std::ceil(elapsed)) + 1;
      recent = follow_typha(*local.client, since_change, fresh_wanted,
                            std::max(left, std::chrono::milliseconds(1)));
    }
    size_t in_sync = 0, total = 0;
    for (auto& link : outcome.links) {
      if (!link.written)
        continue;
      ++total;
      if (!settled(link)) {
        const auto& view = outcome.changed_remotes.count(link.remote) > 0 ? recent : whole;
        if (view)
          judge_link(link, view->link(link.remote), outcome.stored_kubeconfigs[link.remote],
                     typha_restart_command(local.member.context, view->deployments()), o.request_timeout);
      }
      if (link.state == calico::LinkState::in_sync)
        ++in_sync;
    }
    if (o.restart_stale_typha && !restarted && restart_for_stale_links(local, outcome, progress))
      restarted = true;
    outcome.typha_unreachable = false;
    for (const auto& view : {whole, recent}) {
      if (view && !view->error.empty() && lost_contact(view->error_code))
        outcome.typha_unreachable = true;
    }
    progress(local.member.mesh_name, fmt::format("Typha: {}/{} links in sync", in_sync, total));
    return std::all_of(outcome.links.begin(), outcome.links.end(), settled);
  });
}

}  // namespace meshctl::mesh
