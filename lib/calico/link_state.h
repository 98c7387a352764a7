// The states a directed link L <- R can be in, as Typha in L reports them.
#pragma once

#include <string_view>

namespace meshctl::calico {

// Ordered from healthy to broken, so that the worst of several Typha replicas
// is the maximum.
enum class LinkState {
  in_sync,
  resyncing,          // gauge 3: resync in progress
  connecting,         // syncer created, not yet in sync
  unknown,            // nothing seen for this link (Typha silent, logs unreadable)
  stale_failure,      // Typha said failed after being in sync and never takes it back,
                      // while the stored credential works from here (judged by meshctl)
  restart_required,   // connection data changed; Typha restarts to pick it up
  config_incomplete,  // Secret present but invalid (e.g. no datastoreType)
  secret_missing,     // Secret missing or unreadable by Typha
  connection_failed,  // cannot reach or authenticate to R
};

std::string_view link_state_name(LinkState state);  // "in-sync", "connection-failed", ...

// remote_cluster_connection_status gauge values (not the enum's order).
LinkState link_state_from_gauge(double value);

}  // namespace meshctl::calico
