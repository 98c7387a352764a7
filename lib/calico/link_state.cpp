#include "calico/link_state.h"

namespace meshctl::calico {

std::string_view link_state_name(LinkState state) {
  switch (state) {
    case LinkState::in_sync:
      return "in-sync";
    case LinkState::resyncing:
      return "resyncing";
    case LinkState::connecting:
      return "connecting";
    case LinkState::unknown:
      return "unknown";
    case LinkState::stale_failure:
      return "stale-failure";
    case LinkState::restart_required:
      return "restart-required";
    case LinkState::config_incomplete:
      return "config-incomplete";
    case LinkState::secret_missing:
      return "secret-missing";
    case LinkState::connection_failed:
      return "connection-failed";
  }
  return "unknown";
}

LinkState link_state_from_gauge(double value) {
  // Out of range, infinite or NaN (from_chars reads "inf" and "nan") is no state
  // Typha reports, and converting it to int would be undefined behaviour.
  if (!(value >= 0 && value <= 5))
    return LinkState::unknown;
  switch (static_cast<int>(value)) {
    case 0:
      return LinkState::connection_failed;
    case 1:
      return LinkState::connecting;
    case 2:
      return LinkState::in_sync;
    case 3:
      return LinkState::resyncing;
    case 4:
      return LinkState::restart_required;
    case 5:
      return LinkState::config_incomplete;
    default:
      return LinkState::unknown;
  }
}

}  // namespace meshctl::calico
