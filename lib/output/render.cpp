#include "output/render.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "output/yaml.h"
#include "util/files.h"

namespace meshctl::output {
namespace {

// The first line of every file render writes: how a later render tells its
// own files from the user's.
constexpr const char* kFileMarker = "# Rendered by meshctl render.";

const std::vector<std::string> kLeadingKeys = {"apiVersion", "kind", "type", "metadata"};

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string file_name(size_t position, const mesh::DesiredObject& d) {
  return fmt::format("{:02}-{}-{}.yaml", position + 1, lower(d.kind), d.name);
}

std::string placeholder_note(const std::string& remote, const std::string& fill_command) {
  return fmt::format(
      "# PLACEHOLDER: the kubeconfig below holds no valid token for {0}, so Typha reports this\n"
      "# link failed until it is filled. Once {0}'s federation token exists (its objects\n"
      "# applied), fill it with\n"
      "#   {1}\n"
      "# or produce this Secret with your secrets tool (sealed-secrets, external-secrets).\n",
      remote, fill_command);
}

bool is_placeholder(const mesh::RenderedCluster& cluster, const mesh::DesiredObject& d) {
  return d.holds_credentials && std::find(cluster.placeholders.begin(), cluster.placeholders.end(),
                                          d.remote) != cluster.placeholders.end();
}

std::string kustomization(const mesh::RenderedCluster& cluster, const std::vector<std::string>& resources) {
  std::string text = fmt::format(
      "{}\n# The objects `meshctl join` writes in {} (context {}). Apply them with\n"
      "#   kubectl --context {} apply -k <this directory>\n",
      kFileMarker, cluster.name, cluster.context, cluster.context);
  // kustomize's default (legacy) order keeps what matters: the ServiceAccount
  // before its token Secret, and a link's Secret, Role and RoleBinding before
  // its RemoteClusterConfiguration (kinds it does not know go last).
  // `sortOptions: fifo` would say so too, but kubectl warns about it on
  // every apply.
  nlohmann::json doc = {
      {"apiVersion", "kustomize.config.k8s.io/v1beta1"}, {"kind", "Kustomization"}, {"resources", resources}};
  return text + to_yaml(doc, {"apiVersion", "kind"});
}

}  // namespace

std::vector<RenderedFile> render_files(const mesh::RenderReport& report, const std::string& fill_command) {
  std::vector<RenderedFile> files;
  for (const auto& cluster : report.clusters) {
    std::vector<std::string> resources;
    for (size_t i = 0; i < cluster.objects.size(); ++i) {
      const auto& d = cluster.objects[i];
      RenderedFile file;
      resources.push_back(file_name(i, d));
      file.path = cluster.name + "/" + resources.back();
      file.content = std::string(kFileMarker) + "\n";
      if (is_placeholder(cluster, d))
        file.content += placeholder_note(d.remote, fill_command);
      file.content += to_yaml(d.body, kLeadingKeys);
      file.holds_credentials = d.holds_credentials;
      files.push_back(std::move(file));
    }
    files.push_back({cluster.name + "/kustomization.yaml", kustomization(cluster, resources), false});
  }
  return files;
}

std::string render_stream(const mesh::RenderReport& report, const std::string& fill_command) {
  std::string out;
  for (const auto& cluster : report.clusters) {
    for (size_t i = 0; i < cluster.objects.size(); ++i) {
      const auto& d = cluster.objects[i];
      out += fmt::format("---\n# cluster: {} (context {}), object {} of {}\n", cluster.name, cluster.context,
                         i + 1, cluster.objects.size());
      if (is_placeholder(cluster, d))
        out += placeholder_note(d.remote, fill_command);
      out += to_yaml(d.body, kLeadingKeys);
    }
  }
  return out;
}

nlohmann::json render_json(const mesh::RenderReport& report) {
  nlohmann::json clusters = nlohmann::json::array();
  for (const auto& cluster : report.clusters) {
    nlohmann::json objects = nlohmann::json::array();
    for (const auto& d : cluster.objects)
      objects.push_back(d.body);
    clusters.push_back({{"name", cluster.name},
                        {"context", cluster.context},
                        {"placeholders", cluster.placeholders},
                        {"objects", std::move(objects)}});
  }
  return {{"apiVersion", "meshctl.projectcalico.org/v1alpha1"},
          {"kind", "Render"},
          {"exitCode", exit_code(report.outcome())},
          {"includesCredentials", report.include_credentials},
          {"clusters", std::move(clusters)}};
}

Status write_render_directory(const std::string& dir, const std::vector<RenderedFile>& files) {
  std::map<std::string, std::set<std::string>> by_cluster;  // cluster directory -> file names written now
  for (const auto& f : files) {
    auto slash = f.path.find('/');
    by_cluster[f.path.substr(0, slash)].insert(f.path.substr(slash + 1));
  }
  std::vector<std::string> stale;
  for (const auto& [cluster, names] : by_cluster) {
    const std::string cluster_dir = files::join(dir, cluster);
    if (!files::exists(cluster_dir))
      continue;
    TRY_ASSIGN(auto present, files::list_files(cluster_dir));
    for (const auto& name : present) {
      const std::string path = files::join(cluster_dir, name);
      TRY_ASSIGN(std::string content, files::read_file(path));
      if (content.rfind(kFileMarker, 0) != 0) {
        return Error(Errc::precondition, fmt::format("{} was not written by meshctl render", path),
                     "render into an empty directory, or move that file away");
      }
      if (names.count(name) == 0)
        stale.push_back(path);
    }
  }
  for (const auto& f : files) {
    const std::string path = files::join(dir, f.path);
    TRY(files::make_directories(files::dirname(path)));
    TRY(files::write_file(path, f.content, f.holds_credentials ? 0600U : 0644U));
  }
  for (const auto& path : stale)
    TRY(files::remove_file(path));
  return {};
}

}  // namespace meshctl::output
