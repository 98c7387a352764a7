#include "calico/flavour.h"

#include <charconv>

namespace meshctl::calico {

const char* api_mode_name(ApiMode mode) {
  switch (mode) {
    case ApiMode::api_server:
      return "api-server";
    case ApiMode::native_v3:
      return "native-v3";
    case ApiMode::v1_crds:
      return "v1-crds";
    case ApiMode::not_served:
      return "not-served";
  }
  return "unknown";
}

const char* licence_name(Licence licence) {
  switch (licence) {
    case Licence::ok:
      return "ok";
    case Licence::missing:
      return "missing";
    case Licence::expired:
      return "expired";
    case Licence::unknown:
      return "unknown";
  }
  return "unknown";
}

ApiMode api_mode_from(const ServedApis& served) {
  if (!served.v3_group)
    return ApiMode::not_served;
  if (served.api_service_backed)
    return ApiMode::api_server;
  return served.crd_group ? ApiMode::v1_crds : ApiMode::native_v3;
}

std::optional<std::pair<int, int>> minor_version(const std::string& text) {
  std::string_view rest = text;
  if (!rest.empty() && rest.front() == 'v')
    rest.remove_prefix(1);
  int major = 0, minor = 0;
  auto [after_major, e1] = std::from_chars(rest.data(), rest.data() + rest.size(), major);
  if (e1 != std::errc() || after_major == rest.data() + rest.size() || *after_major != '.')
    return std::nullopt;
  auto [after_minor, e2] = std::from_chars(after_major + 1, rest.data() + rest.size(), minor);
  if (e2 != std::errc() || after_minor == after_major + 1)
    return std::nullopt;
  return std::make_pair(major, minor);
}

bool reads_v1_only(const Flavour& reader) {
  auto version = minor_version(reader.enterprise_version);
  return version && *version <= std::make_pair(3, 22);
}

bool migration_in_progress(const Flavour& f) {
  return f.migration_phase && *f.migration_phase != "Complete";
}

std::optional<std::string> derived_overlay_routing(const Flavour& f) {
  if (f.vxlan.value_or(false) || f.wireguard.value_or(false))
    return "Enabled";
  if (!f.vxlan || !f.wireguard)
    return std::nullopt;
  return "Disabled";
}

std::string describe(const Flavour& f) {
  std::string out;
  if (auto version = minor_version(f.enterprise_version))
    out = std::to_string(version->first) + "." + std::to_string(version->second) + " ";
  out += api_mode_name(f.api_mode);
  if (f.migration_phase)
    out += ", migration " + *f.migration_phase;
  if (f.licence != Licence::ok && f.licence != Licence::unknown)
    out += std::string(", licence ") + licence_name(f.licence);
  return out;
}

}  // namespace meshctl::calico
