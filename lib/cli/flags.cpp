#include "cli/flags.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "calico/dataplane.h"
#include "calico/names.h"
#include "mesh/preflight.h"
#include "util/duration.h"
#include "util/outcome.h"

namespace meshctl::cli {
namespace {

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = std::min(text.find(separator, start), text.size());
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

}  // namespace

CLI::Validator one_of(std::vector<std::string> choices, std::string what) {
  return CLI::Validator(
      [choices, what](std::string& value) {
        if (std::find(choices.begin(), choices.end(), value) != choices.end())
          return std::string();
        return fmt::format("\"{}\" is not {}; use {}", value, what, fmt::join(choices, ", "));
      },
      "");
}

namespace {

Result<DryRun> dry_run_mode(const std::string& mode, ClientDryRun client) {
  if (mode.empty() || mode == "none" || mode == "false")
    return DryRun::none;
  if (mode == "server" || mode == "true")  // "true": the bare flag
    return DryRun::server;
  if (mode != "client")
    return Error(Errc::usage, "\"" + mode + "\" is not a dry-run mode; use server, client or none");
  if (client == ClientDryRun::impossible) {
    return Error(Errc::usage,
                 "client is not possible here: what the command changes depends on what the clusters hold; "
                 "use --dry-run (server), which reads them and changes nothing");
  }
  return DryRun::client;
}

template <class Duration>
void bind_duration(CLI::App& cmd, const std::string& name, Duration& target, const std::string& description,
                   const std::string& default_text) {
  cmd.add_option_function<std::string>(
         name,
         [&target](const std::string& text) {
           if (auto parsed = parse_duration(text))  // checked by duration_check()
             target = std::chrono::ceil<Duration>(*parsed);
         },
         description)
      ->check(duration_check())
      ->default_str(default_text);
}

}  // namespace

std::vector<std::string> ContextArgs::all() const {
  std::vector<std::string> out = positional;
  out.insert(out.end(), flagged.begin(), flagged.end());
  return out;
}

void add_context_args(CLI::App& cmd, ContextArgs& args, const std::string& description) {
  cmd.add_option("clusters", args.positional, description);
  cmd.add_option("--context", args.flagged, "The same, as a flag (repeatable): --context iad --context pdx");
}

void add_dry_run_flag(CLI::App& cmd, DryRun& target, const std::string& description, ClientDryRun client) {
  const bool possible = client == ClientDryRun::possible;
  auto text = std::make_shared<std::string>();  // CLI11's copy; the check below sets TARGET
  cmd.add_flag("--dry-run", *text,
               description + (possible ? " (--dry-run=server|client|none, as kubectl)"
                                       : " (--dry-run=server|none; the clusters must be read)"))
      ->check(CLI::Validator(
          [&target, client, text](std::string& mode) {
            auto parsed = dry_run_mode(mode, client);
            if (!parsed)
              return parsed.error().message;
            target = *parsed;
            return std::string();
          },
          ""));
}

void add_dry_run_flag(CLI::App& cmd, bool& target, const std::string& description) {
  auto mode = std::make_shared<DryRun>(DryRun::none);
  add_dry_run_flag(cmd, *mode, description, ClientDryRun::impossible);
  cmd.get_option("--dry-run")->each([mode, &target](const std::string&) { target = *mode != DryRun::none; });
}

CLI::Validator duration_check() {
  return CLI::Validator(
      [](std::string& text) {
        auto parsed = parse_duration(text);
        return parsed ? std::string() : parsed.error().message + " (" + parsed.error().hint + ")";
      },
      "DURATION");
}

void add_duration_flag(CLI::App& cmd, const std::string& name, std::chrono::seconds& target,
                       const std::string& description, const std::string& default_text) {
  bind_duration(cmd, name, target, description, default_text);
}

void add_duration_flag(CLI::App& cmd, const std::string& name, std::chrono::milliseconds& target,
                       const std::string& description, const std::string& default_text) {
  bind_duration(cmd, name, target, description, default_text);
}

void add_output_flag(CLI::App& cmd, output::Format& target, const std::string& choices) {
  const auto names = split(choices, '|');
  target = *output::parse_format(names.front());
  cmd.add_option_function<std::string>(
         "-o,--output", [&target](const std::string& name) { target = *output::parse_format(name); }, choices)
      ->check(one_of(names, "an output format of this command"))
      ->default_str(names.front());
}

void add_federation_namespace_flag(CLI::App& cmd, mesh::JoinOptions& options,
                                   const std::string& description) {
  cmd.add_option_function<std::string>(
      "--namespace",
      [&options](const std::string& ns) {
        if (ns.empty())
          return;  // as if not given: the default, with the legacy lookup
        options.federation_namespace = ns;
        options.federation_namespace_given = true;
      },
      description);
}

void add_mesh_flags(CLI::App& cmd, MeshFlags& f) {
  mesh::JoinOptions& o = f.options;
  add_context_args(cmd, f.clusters, "Contexts to mesh: CTX or NAME=CTX (at least two)");
  cmd.add_option("--server", f.servers, "NAME=URL: the API server address other clusters use for NAME");
  add_federation_namespace_flag(
      cmd, o,
      "Namespace of the federation ServiceAccount and token (default calico-system, "
      "or kube-system when older manifests already made it there)");
  cmd.add_option("--secret-namespace", o.secret_namespace, "Namespace of the per-link Secrets and Roles")
      ->capture_default_str();
  cmd.add_option("--overlay-routing", o.overlay_routing,
                 "Enabled|Disabled, written into each RCC (default: per cluster, as the Calico API server "
                 "would: Enabled where VXLAN or WireGuard is on). With Disabled (the network routes pod "
                 "addresses) each cluster also gets a disabled IPPool per remote pod CIDR, so that "
                 "natOutgoing does not rewrite cross-cluster traffic")
      ->check(CLI::Validator(
          [](std::string& mode) {  // empty: derived per cluster, as without the flag
            return mode.empty() || mode == "Enabled" || mode == "Disabled"
                       ? std::string()
                       : "\"" + mode + "\" is not an overlay routing mode; use Enabled or Disabled";
          },
          ""));
  cmd.add_flag("--force", o.force, "Go on even while a Calico datastore migration is in progress");
  cmd.add_flag("--allow-loopback-servers", o.lab,
               "Expect loopback API server addresses (the local lab) instead of warning about them");
  const auto& checks = calico::data_plane_checks();
  cmd.add_option("--skip-check", o.skipped_checks,
                 "Do not refuse on this data-plane check (repeatable): pool-overlap, service-overlap, "
                 "node-names, overlay; the output says it was skipped")
      ->check(one_of({checks.begin(), checks.end()}, "a data-plane check"));
  cmd.add_flag("--print-required-permissions", f.print_permissions,
               "Print the RBAC permissions this command needs and exit");
}

Status finish_mesh_options(const std::string& command, MeshFlags& f) {
  mesh::JoinOptions& o = f.options;
  if (f.clusters.all().size() < 2)
    return Error(Errc::usage, command + " needs at least two contexts", "meshctl " + command + " iad pdx");
  TRY_ASSIGN(o.members, mesh::parse_members(f.clusters.all()));
  for (const auto& s : f.servers) {
    auto eq = s.find('=');
    if (eq == std::string::npos || s.find("://") == std::string::npos) {
      return Error(Errc::usage, "--server \"" + s + "\" is not NAME=URL",
                   "e.g. --server pdx=https://10.0.0.5:6443");
    }
    const std::string name = s.substr(0, eq);
    if (std::none_of(o.members.begin(), o.members.end(),
                     [&](const mesh::Member& m) { return m.mesh_name == name; }))
      return Error(Errc::usage, "--server names \"" + name + "\", which is not a cluster of this command");
    o.server_overrides[name] = s.substr(eq + 1);
  }
  return {};
}

std::string render_fill_command(const MeshFlags& f, const std::string& out_dir) {
  std::string command =
      fmt::format("meshctl render {} --include-credentials", fmt::join(f.clusters.all(), " "));
  for (const auto& s : f.servers)
    command += " --server " + s;
  if (f.options.federation_namespace_given)
    command += " --namespace " + f.options.federation_namespace;
  if (f.options.secret_namespace != calico::kCalicoNamespace)
    command += " --secret-namespace " + f.options.secret_namespace;
  return command + (out_dir.empty() ? " -o yaml" : " --out-dir " + out_dir);
}

int print_required_permissions(const std::string& command, const mesh::JoinOptions& options) {
  fmt::print("meshctl {} needs, in every cluster:\n", command);
  for (const auto& line : mesh::required_permissions(options))
    fmt::print("  {}\n", line);
  return exit_code(Outcome::ok);
}

}  // namespace meshctl::cli
