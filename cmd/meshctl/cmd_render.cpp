// meshctl render CTX CTX [CTX...] [--out-dir DIR | -o yaml|json]
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "app.h"
#include "calico/names.h"
#include "mesh/render.h"
#include "mesh_flags.h"
#include "output/render.h"
#include "util/files.h"
#include "util/log.h"

namespace meshctl::cli {
namespace {

struct RenderFlags {
  MeshFlags mesh;
  std::string out_dir;
  bool include_credentials = false;
  std::string output = "yaml";
};

// The command a placeholder's note names: this render, with credentials.
std::string fill_command(const RenderFlags& f) {
  std::string command =
      fmt::format("meshctl render {} --include-credentials", fmt::join(f.mesh.clusters.all(), " "));
  for (const auto& s : f.mesh.servers)
    command += " --server " + s;
  if (!f.mesh.federation_namespace.empty())
    command += " --namespace " + f.mesh.federation_namespace;
  if (f.mesh.secret_namespace != calico::kCalicoNamespace)
    command += " --secret-namespace " + f.mesh.secret_namespace;
  return command + (f.out_dir.empty() ? " -o yaml" : " --out-dir " + f.out_dir);
}

std::string summary(const mesh::RenderReport& report, const std::string& dir) {
  std::string out;
  for (const auto& c : report.clusters) {
    out += fmt::format("{}: {} objects in {}", c.name, c.objects.size(), files::join(dir, c.name));
    if (!c.placeholders.empty())
      out += fmt::format(" (placeholder credentials for {})", fmt::join(c.placeholders, ", "));
    out += fmt::format("; apply: kubectl --context {} apply -k {}\n", c.context, files::join(dir, c.name));
  }
  return out;
}

Result<int> run_render_command(App& app, const RenderFlags& f) {
  app.prepare();
  if (f.mesh.print_permissions)
    return print_required_permissions("render", f.mesh, true);
  if (f.output != "yaml" && f.output != "json")
    return Error(Errc::usage, "render prints -o yaml or -o json", "or write files with --out-dir DIR");
  if (f.mesh.clusters.all().size() < 2)
    return Error(Errc::usage, "render needs at least two contexts", "meshctl render iad pdx --out-dir mesh/");
  TRY_ASSIGN(auto options, mesh_options(f.mesh));
  TRY_ASSIGN(auto config, app.load_kubeconfig());
  TRY_ASSIGN(auto clusters, mesh::open_clusters(config, options.members, app.client_options()));

  auto report = mesh::run_render(clusters, options, f.include_credentials);
  std::fputs(log::redact(output::preflight_problem_lines(report.problems)).c_str(), stderr);
  if (!report.problems.empty())
    return exit_code(report.outcome());
  for (const auto& w : report.warnings)
    log::warn("{}", w);
  if (f.include_credentials) {
    log::warn(
        "{} holds the federation tokens of the clusters: keep it out of version control unless sealed "
        "or encrypted",
        f.out_dir.empty() ? std::string("the output") : "every link Secret file (mode 0600)");
  }
  const std::string fill = fill_command(f);
  if (f.out_dir.empty()) {
    if (f.output == "json")
      fmt::print("{}", output::serialize(output::render_json(report), output::Format::json));
    else
      fmt::print("{}", output::render_stream(report, fill));
    return exit_code(report.outcome());
  }
  TRY(output::write_render_directory(f.out_dir, output::render_files(report, fill)));
  fmt::print("{}", summary(report, f.out_dir));
  return exit_code(report.outcome());
}

}  // namespace

void add_render_command(CLI::App& root, App& app) {
  auto f = std::make_shared<RenderFlags>();
  auto* cmd = root.add_subcommand(
      "render", "Write the objects join would write, per cluster and in apply order, for GitOps (read-only)");
  cmd->footer(
      "\nReads the clusters as join does (same checks, only read permissions needed) and writes, for each\n"
      "cluster, the federation objects and one link per peer. Nothing is written to any cluster.\n\n"
      "A link Secret needs the remote's federation token, which exists once the remote's objects were\n"
      "applied. Without --include-credentials every link Secret holds a placeholder and names the command\n"
      "that fills it; with it, the tokens are written (files 0600) for you to seal or encrypt.\n\n"
      "Examples:\n"
      "  meshctl render iad pdx --out-dir mesh/            # mesh/iad, mesh/pdx, each with "
      "kustomization.yaml\n"
      "  kubectl --context iad apply -k mesh/iad && kubectl --context pdx apply -k mesh/pdx\n"
      "  meshctl render iad pdx --out-dir mesh/ --include-credentials   # once the tokens exist\n"
      "  meshctl render iad pdx -o yaml                    # one stream, a comment names each cluster");
  add_mesh_flags(*cmd, f->mesh);
  cmd->add_option("--out-dir", f->out_dir,
                  "Write DIR/<cluster>/NN-<kind>-<name>.yaml and DIR/<cluster>/kustomization.yaml");
  cmd->add_flag("--include-credentials", f->include_credentials,
                "Write the remotes' federation tokens into the link Secrets instead of placeholders");
  cmd->add_option("-o,--output", f->output, "yaml|json (without --out-dir)")->capture_default_str();
  cmd->callback([&app, f] { run_and_finish([&]() -> Result<int> { return run_render_command(app, *f); }); });
}

}  // namespace meshctl::cli
