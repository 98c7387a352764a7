// Views of a render (mesh/render.h): one YAML stream, or one directory per
// cluster with a kustomization.yaml that applies the objects in join's order.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mesh/render.h"

namespace meshctl::output {

struct RenderedFile {
  std::string path;  // relative: "<cluster>/<file>"
  std::string content;
  bool holds_credentials = false;  // written 0600
};

// `fill_command` is the command that renders the same objects with
// credentials; it is named next to every placeholder.
std::vector<RenderedFile> render_files(const mesh::RenderReport& report, const std::string& fill_command);

// Every object of every cluster as one YAML stream, each document headed by
// a comment naming its cluster and context (a stream applies to one cluster:
// split it by that comment, or use --out-dir).
std::string render_stream(const mesh::RenderReport& report, const std::string& fill_command);

// {"apiVersion": meshctl's, "kind": "Render", "exitCode", "includesCredentials",
// "clusters": [{"name", "context", "placeholders", "objects": [...]}]} (docs/output.md).
nlohmann::json render_json(const mesh::RenderReport& report);

// Writes the files under `dir`, replacing what an earlier render wrote there.
// A cluster directory holding a file meshctl did not write is refused
// (Errc::precondition) before anything is written.
Status write_render_directory(const std::string& dir, const std::vector<RenderedFile>& files);

}  // namespace meshctl::output
