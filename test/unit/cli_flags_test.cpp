// Flags bound straight into the lib/mesh options: converted when the command
// line is parsed, a bad value refused as a parse error naming the flag.
#include <doctest/doctest.h>

#include <algorithm>

#include "cli/flags.h"

using namespace meshctl;
using namespace meshctl::cli;

namespace {

// Parses ARGS (without the program name) against CMD; the error text, or "".
std::string parse(CLI::App& cmd, std::vector<std::string> args) {
  std::reverse(args.begin(), args.end());  // CLI11 takes a vector back to front
  try {
    cmd.parse(args);
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("durations land in the options, rounded up to whole seconds") {
  CLI::App cmd;
  mesh::JoinOptions o;
  add_duration_flag(cmd, "--timeout", o.timeout, "", "3m");
  add_duration_flag(cmd, "--token-wait", o.token_fill_timeout, "", "60s");
  CHECK(parse(cmd, {"--timeout", "1h30m", "--token-wait=500ms"}) == "");
  CHECK(o.timeout == std::chrono::seconds(5400));
  CHECK(o.token_fill_timeout == std::chrono::seconds(1));  // a short timeout never becomes none
  CLI::App again;
  add_duration_flag(again, "--timeout", o.timeout, "", "3m");
  add_duration_flag(again, "--token-ttl", o.token_ttl, "", "8760h");
  CHECK(parse(again, {"--timeout", "0", "--token-ttl", "8760h"}) == "");
  CHECK(o.timeout == std::chrono::seconds(0));
  CHECK(o.token_ttl == std::chrono::seconds(8760 * 3600));
}

TEST_CASE("a bad duration is refused and the default stays") {
  CLI::App cmd;
  mesh::JoinOptions o;
  add_duration_flag(cmd, "--timeout", o.timeout, "", "3m");
  auto error = parse(cmd, {"--timeout", "10x"});
  CHECK(error.find("--timeout") != std::string::npos);
  CHECK(error.find("invalid duration \"10x\"") != std::string::npos);
  CHECK(o.timeout == std::chrono::minutes(3));
}

TEST_CASE("--dry-run: bare is server, =client only where the command can answer offline") {
  for (auto [args, want] :
       std::vector<std::pair<std::vector<std::string>, DryRun>>{{{}, DryRun::none},
                                                                {{"--dry-run"}, DryRun::server},
                                                                {{"--dry-run=server"}, DryRun::server},
                                                                {{"--dry-run=client"}, DryRun::client},
                                                                {{"--dry-run=none"}, DryRun::none}}) {
    CLI::App cmd;
    DryRun mode = DryRun::none;
    add_dry_run_flag(cmd, mode, "", ClientDryRun::possible);
    CHECK(parse(cmd, args) == "");
    CHECK(mode == want);
  }
  CLI::App cmd;
  bool dry_run = false;
  add_dry_run_flag(cmd, dry_run, "");
  CHECK(parse(cmd, {"--dry-run=client"}).find("client is not possible here") != std::string::npos);
  CLI::App again;
  add_dry_run_flag(again, dry_run, "");
  CHECK(parse(again, {"--dry-run"}) == "");
  CHECK(dry_run);
}

TEST_CASE("-o takes only the command's formats; the first is the default") {
  CLI::App cmd;
  output::Format format = output::Format::json;
  add_output_flag(cmd, format, "yaml|json");
  CHECK(format == output::Format::yaml);
  CHECK(parse(cmd, {"-o", "json"}) == "");
  CHECK(format == output::Format::json);
  CLI::App other;
  add_output_flag(other, format, "yaml|json");
  CHECK(
      parse(other, {"-o", "wide"}).find("\"wide\" is not an output format of this command; use yaml, json") !=
      std::string::npos);
}

TEST_CASE("mesh flags: members and --server are checked once all are known") {
  CLI::App cmd;
  MeshFlags f;
  add_mesh_flags(cmd, f);
  CHECK(parse(cmd, {"iad", "--context", "pdx", "--server", "pdx=https://10.0.0.5:6443", "--namespace",
                    "kube-system", "--skip-check", "overlay"}) == "");
  REQUIRE(finish_mesh_options("join", f));
  REQUIRE(f.options.members.size() == 2);
  CHECK(f.options.members[0].context == "iad");
  CHECK(f.options.members[1].context == "pdx");
  CHECK(f.options.server_overrides.at("pdx") == "https://10.0.0.5:6443");
  CHECK(f.options.federation_namespace == "kube-system");
  CHECK(f.options.federation_namespace_given);
  CHECK(f.options.skipped_checks.count("overlay") == 1);

  MeshFlags lone;
  CLI::App one;
  add_mesh_flags(one, lone);
  CHECK(parse(one, {"iad"}) == "");
  auto refused = finish_mesh_options("join", lone);
  REQUIRE(!refused);
  CHECK(refused.error().message == "join needs at least two contexts");

  MeshFlags stranger;
  CLI::App two;
  add_mesh_flags(two, stranger);
  CHECK(parse(two, {"iad", "pdx", "--server", "fra=https://10.0.0.6:6443"}) == "");
  CHECK(finish_mesh_options("join", stranger).error().message ==
        "--server names \"fra\", which is not a cluster of this command");

  CLI::App three;
  MeshFlags unknown_check;
  add_mesh_flags(three, unknown_check);
  CHECK(parse(three, {"iad", "pdx", "--skip-check", "colour"}).find("\"colour\" is not a data-plane check") !=
        std::string::npos);
}

TEST_CASE("render's fill-in command repeats the clusters, servers and namespaces given") {
  CLI::App cmd;
  MeshFlags f;
  add_mesh_flags(cmd, f);
  CHECK(parse(cmd, {"iad", "pdx", "--server", "pdx=https://10.0.0.5:6443", "--secret-namespace", "mesh"}) ==
        "");
  CHECK(render_fill_command(f, "out/") ==
        "meshctl render iad pdx --include-credentials --server pdx=https://10.0.0.5:6443 --secret-namespace "
        "mesh "
        "--out-dir out/");
  CHECK(render_fill_command(f, "").ends_with(" -o yaml"));
}

TEST_CASE("-o name is an output format, for the commands that list it") {
  CLI::App cmd;
  output::Format format = output::Format::table;
  add_output_flag(cmd, format, "table|json|yaml|name");
  CHECK(parse(cmd, {"-o", "name"}) == "");
  CHECK(format == output::Format::name);
}
