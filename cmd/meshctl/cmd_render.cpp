// meshctl render CTX CTX [CTX...] [--out-dir DIR | -o yaml|json]
#include "cli/flags.h"
#include "cli/help.h"
#include "commands.h"
#include "mesh/render.h"

namespace meshctl::cli {
namespace {

struct RenderFlags {
  MeshFlags mesh;
  std::string out_dir;
  bool include_credentials = false;
  output::Format format = output::Format::yaml;
};

Result<int> run_render(Session& session, RenderFlags& f) {
  mesh::JoinOptions& options = f.mesh.options;
  options.read_only = true;  // render needs only the reads
  options.wait = false;
  if (f.mesh.print_permissions)
    return print_required_permissions("render", options);
  TRY(finish_mesh_options("render", f.mesh));
  TRY_ASSIGN(auto config, session.load_kubeconfig());
  TRY_ASSIGN(auto clusters, mesh::open_clusters(config, options.members, session.client_options()));
  auto report =
      mesh::run_render(clusters, options,
                       f.include_credentials ? mesh::Credentials::included : mesh::Credentials::placeholders);
  const auto fill = render_fill_command(f.mesh, f.out_dir);
  if (f.out_dir.empty())
    return output::show(report, session.view(f.format), fill);
  return output::write(report, f.out_dir, fill);
}

}  // namespace

void add_render_command(CLI::App& root, Session& session) {
  auto f = std::make_shared<RenderFlags>();
  auto* cmd = root.add_subcommand(
      "render", "Write the objects join would write, per cluster and in apply order, for GitOps (read-only)");
  cmd->footer(long_help("render"));
  add_mesh_flags(*cmd, f->mesh);
  cmd->add_option("--out-dir", f->out_dir,
                  "Write DIR/<cluster>/NN-<kind>-<name>.yaml and DIR/<cluster>/kustomization.yaml");
  cmd->add_flag("--include-credentials", f->include_credentials,
                "Write the remotes' federation tokens into the link Secrets instead of placeholders");
  add_output_flag(*cmd, f->format, "yaml|json");
  cmd->get_option("--output")->description("yaml|json (without --out-dir)");
  on_run(cmd, session, [&session, f] { return run_render(session, *f); });
}

}  // namespace meshctl::cli
