#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "kube/kubeconfig.h"
#include "util/base64.h"
#include "util/log.h"

namespace fs = std::filesystem;
using namespace meshctl;
using namespace meshctl::kube;

namespace {

const std::string kData = MESHCTL_TEST_DATA;

std::string fixture(const std::string& rel) {
  return kData + "/kubeconfig/" + rel;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Kubeconfig load_env(const std::string& env) {
  LoadOptions options;
  options.env_kubeconfig = env;
  options.home_dir = "/nonexistent-home";
  auto config = load_kubeconfig(options);
  REQUIRE_MESSAGE(config.has_value(), config.error().message);
  return std::move(*config);
}

ResolvedContext resolve_ok(const Kubeconfig& config, const std::string& name) {
  auto resolved = config.resolve(name);
  REQUIRE_MESSAGE(resolved.has_value(), resolved.error().message);
  return std::move(*resolved);
}

// Parses inline YAML as if it were the file /x/config.
Result<Kubeconfig> parse(const std::string& text) {
  return parse_kubeconfig(text, "/x/config", "/x");
}

Error resolve_failure(const std::string& text, const std::string& context) {
  auto config = parse(text);
  REQUIRE_MESSAGE(config.has_value(), config.error().message);
  auto resolved = config->resolve(context);
  REQUIRE_FALSE(resolved.has_value());
  CHECK(resolved.error().code == Errc::config);
  CHECK(resolved.error().message.find('\n') == std::string::npos);
  return resolved.error();
}

std::string resolve_error(const std::string& text, const std::string& context) {
  return resolve_failure(text, context).message;
}

// A temporary directory removed at scope exit.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "meshctl-kc-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

constexpr const char* kMinimal = R"(
clusters:
- name: c
  cluster: {server: https://c.example}
users:
- name: u
  user: {token: meshctl-test-token-minimal}
contexts:
- name: iad
  context: {cluster: c, user: u}
)";

}  // namespace

TEST_CASE("explicit --kubeconfig is used alone and must exist") {
  LoadOptions options;
  options.explicit_path = fixture("eks/config");
  options.env_kubeconfig = fixture("basic.yaml");
  auto config = load_kubeconfig(options);
  REQUIRE(config);
  CHECK(config->files() == std::vector<std::string>{fixture("eks/config")});
  CHECK(config->current_context() == "prod");
  CHECK_FALSE(config->has_context("token-ctx"));

  options.explicit_path = fixture("no-such-file");
  auto missing = load_kubeconfig(options);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::config);
  CHECK(missing.error().message == "kubeconfig " + fixture("no-such-file") + ": file not found");
}

TEST_CASE("KUBECONFIG list: first file wins per name, missing and empty entries skipped") {
  const auto config = load_env("::" + fixture("merge/a.yaml") + ":" + fixture("merge/missing.yaml") + ":" +
                               fixture("merge/nested/b.yaml") + "::" + fixture("merge/c.yaml") + ":" +
                               fixture("merge/a.yaml"));
  CHECK(config.files() == std::vector<std::string>{fixture("merge/a.yaml"), fixture("merge/nested/b.yaml"),
                                                   fixture("merge/c.yaml")});
  // a.yaml sets no current-context; b.yaml is the first that does.
  CHECK(config.current_context() == "b-only");
  const auto contexts = config.contexts();
  REQUIRE(contexts.size() == 4);
  CHECK(contexts[0].name == "shared");
  CHECK(contexts[0].namespace_name == "from-a");
  CHECK(contexts[1].name == "a-only");
  CHECK(contexts[2].name == "b-only");
  CHECK(contexts[3].name == "c-only");

  const auto shared = resolve_ok(config, "shared");
  CHECK(shared.cluster.server == "https://from-a.example");
  CHECK(shared.user.token.reveal() == "meshctl-test-token-from-a");
  CHECK(shared.namespace_name == "from-a");
  CHECK(shared.cluster.source_file == fixture("merge/a.yaml"));

  // A context from a.yaml may use entries defined in b.yaml; b's relative paths
  // resolve against b's directory.
  const auto a_only = resolve_ok(config, "a-only");
  CHECK(a_only.cluster.ca_pem == slurp(fixture("certs/test-only-ca2.crt")));
  CHECK(a_only.user.kind == AuthKind::client_cert);
  CHECK(a_only.user.client_cert_pem == slurp(fixture("certs/test-only-client.crt")));
  CHECK(a_only.user.client_key_pem.reveal() == slurp(fixture("certs/test-only-client.key")));

  const auto current = resolve_ok(config, "");
  CHECK(current.context_name == "b-only");
  CHECK(current.namespace_name == "default");

  // A context without a user is anonymous, as in kubectl.
  const auto anonymous = resolve_ok(config, "c-only");
  CHECK(anonymous.user.kind == AuthKind::none);
  CHECK(anonymous.cluster.server == "http://127.0.0.1:8080");
}

TEST_CASE("KUBECONFIG order decides the winner") {
  const auto config = load_env(fixture("merge/nested/b.yaml") + ":" + fixture("merge/a.yaml"));
  CHECK(resolve_ok(config, "shared").cluster.server == "https://from-b.example");
  CHECK(resolve_ok(config, "shared").namespace_name == "from-b");
  CHECK(config.current_context() == "b-only");
}

TEST_CASE("~/.kube/config is the fallback; a missing one is an empty config") {
  TempDir home;
  fs::create_directories(home.path / ".kube");
  fs::copy_file(fixture("eks/config"), home.path / ".kube/config");
  LoadOptions options;
  options.home_dir = home.path.string();
  SUBCASE("KUBECONFIG unset") {}
  SUBCASE("KUBECONFIG empty counts as unset") {
    options.env_kubeconfig = "";
  }
  auto config = load_kubeconfig(options);
  REQUIRE(config);
  CHECK(config->current_context() == "prod");
  CHECK(config->files().size() == 1);

  options.home_dir = (home.path / "elsewhere").string();
  auto empty = load_kubeconfig(options);
  REQUIRE(empty);
  CHECK(empty->files().empty());
  CHECK(empty->contexts().empty());
  auto none = empty->resolve("");
  REQUIRE_FALSE(none);
  CHECK(none.error().message.find("current-context is not set") != std::string::npos);
  CHECK(none.error().message.find("elsewhere/.kube/config") != std::string::npos);
}

TEST_CASE("every credential kind and cluster field, relative paths against the file") {
  const auto config = load_env(fixture("basic.yaml"));
  CHECK(config.current_context() == "token-ctx");

  const auto token = resolve_ok(config, "token-ctx");
  CHECK(token.namespace_name == "apps");
  CHECK(token.cluster.name == "ca-file");
  CHECK(token.cluster.server == "https://ca-file.example:6443");
  CHECK(token.cluster.ca_pem == slurp(fixture("certs/test-only-ca.crt")));
  CHECK_FALSE(token.cluster.insecure_skip_tls_verify);
  CHECK(token.user.kind == AuthKind::token);
  CHECK(token.user.token.reveal() == "meshctl-test-token-inline");
  CHECK(token.user.source_file == fixture("basic.yaml"));

  const auto token_file = resolve_ok(config, "token-file-ctx");
  CHECK(token_file.user.kind == AuthKind::token_file);
  CHECK(token_file.user.token.reveal() == "meshctl-test-token-from-file");  // newline trimmed
  CHECK(token_file.user.token_file == fixture("tokens/dev-token"));
  CHECK(token_file.cluster.ca_pem == slurp(fixture("certs/test-only-ca2.crt")));
  CHECK(token_file.cluster.tls_server_name == "api.internal");
  CHECK(token_file.cluster.proxy_url == "http://proxy.example:3128");

  for (const char* name : {"cert-files-ctx", "cert-data-ctx"}) {
    CAPTURE(name);
    const auto cert = resolve_ok(config, name);
    CHECK(cert.user.kind == AuthKind::client_cert);
    CHECK(cert.user.client_cert_pem == slurp(fixture("certs/test-only-client.crt")));
    CHECK(cert.user.client_key_pem.reveal() == slurp(fixture("certs/test-only-client.key")));
  }
  const auto insecure = resolve_ok(config, "cert-data-ctx");
  CHECK(insecure.cluster.insecure_skip_tls_verify);
  CHECK(insecure.cluster.ca_pem.empty());

  const auto basic = resolve_ok(config, "basic-ctx");
  CHECK(basic.user.kind == AuthKind::basic);
  CHECK(basic.user.username == "admin");
  CHECK(basic.user.password.reveal() == "test-only-password");

  const auto exec = resolve_ok(config, "exec-ctx");
  CHECK(exec.namespace_name == "kube-system");
  CHECK(exec.user.kind == AuthKind::exec);
  REQUIRE(exec.user.exec);
  CHECK(exec.user.exec->api_version == "client.authentication.k8s.io/v1beta1");
  CHECK(exec.user.exec->command == fixture("bin/get-token"));  // had a slash: relative to the file
  CHECK(exec.user.exec->args == std::vector<std::string>{"--cluster", "ca-data"});
  REQUIRE(exec.user.exec->env.size() == 1);
  CHECK(exec.user.exec->env[0] == std::pair<std::string, std::string>{"FOO", "bar"});
  CHECK(exec.user.exec->install_hint == "install get-token from your platform team");
  CHECK(exec.user.exec->provide_cluster_info);
  CHECK(exec.user.exec->interactive_mode == InteractiveMode::if_available);  // v1beta1 default
}

TEST_CASE("inline data wins over files, token over tokenFile") {
  const auto config = load_env(fixture("precedence.yaml"));
  const auto both = resolve_ok(config, "both");
  CHECK(both.cluster.ca_pem == slurp(fixture("certs/test-only-ca2.crt")));
  CHECK(both.user.kind == AuthKind::token);
  CHECK(both.user.token.reveal() == "meshctl-test-token-wins");
  CHECK(both.user.token_file.empty());
  // The -data forms are used; the named files do not exist and are not read.
  CHECK(both.user.client_cert_pem == slurp(fixture("certs/test-only-client.crt")));
}

TEST_CASE("EKS-style kubeconfig: ARN entries behind short context aliases") {
  const auto config = load_env(fixture("eks/config"));
  const auto prod = resolve_ok(config, "prod");
  CHECK(prod.cluster.name == "arn:aws:eks:us-east-1:111122223333:cluster/prod");
  CHECK(prod.user.name == "arn:aws:eks:us-east-1:111122223333:cluster/prod");
  CHECK(prod.cluster.ca_pem == slurp(fixture("certs/test-only-ca.crt")));
  REQUIRE(prod.user.exec);
  CHECK(prod.user.exec->command == "aws");  // bare name: looked up in PATH at run time
  CHECK(prod.user.exec->args.size() == 8);
  const auto staging = resolve_ok(config, "staging");
  REQUIRE(staging.user.exec);
  CHECK(staging.user.exec->interactive_mode == InteractiveMode::never);
  CHECK(staging.namespace_name == "calico-system");
}

TEST_CASE("credentials are registered for redaction when loaded") {
  const auto config = load_env(fixture("basic.yaml"));
  CHECK(log::redact("t=meshctl-test-token-inline") == "t=<redacted>");
  CHECK(log::redact("p=test-only-password") == "p=<redacted>");
  (void)resolve_ok(config, "token-file-ctx");
  CHECK(log::redact("meshctl-test-token-from-file") == "<redacted>");
  (void)resolve_ok(config, "cert-files-ctx");
  CHECK(log::redact(slurp(fixture("certs/test-only-client.key"))) == "<redacted>");
}

TEST_CASE("errors are one line naming file, context and field") {
  SUBCASE("bad base64") {
    const std::string clean = R"(
clusters:
- name: c
  cluster: {server: https://c.example}
users:
- name: u
  user: {client-certificate-data: "abc!", client-key-data: "YWJj"}
contexts:
- name: iad
  context: {cluster: c, user: u}
- name: other
  context: {cluster: c}
)";
    CHECK(
        resolve_error(clean, "iad") ==
        R"(kubeconfig /x/config: context "iad": user "u": client-certificate-data: invalid base64 at byte 3)");
    // Other contexts of the file still work.
    CHECK(parse(clean)->resolve("other").has_value());
  }
  SUBCASE("bad base64 in certificate-authority-data") {
    CHECK(
        resolve_error(R"(
clusters:
- name: c
  cluster: {server: https://c.example, certificate-authority-data: "LS0t LS0t"}
contexts:
- name: iad
  context: {cluster: c}
)",
                      "iad") ==
        R"(kubeconfig /x/config: context "iad": cluster "c": certificate-authority-data: invalid base64 at byte 4)");
  }
  SUBCASE("base64 that is not PEM") {
    CHECK(
        resolve_error(R"(
clusters:
- name: c
  cluster: {server: https://c.example, certificate-authority-data: "aGVsbG8="}
contexts:
- name: iad
  context: {cluster: c}
)",
                      "iad") ==
        R"(kubeconfig /x/config: context "iad": cluster "c": certificate-authority-data: not a PEM certificate)");
  }
  SUBCASE("unknown context") {
    CHECK(resolve_error(kMinimal, "pdx") == R"(kubeconfig /x/config: context "pdx" not found)");
  }
  SUBCASE("missing cluster and user") {
    const std::string text = R"(
contexts:
- name: iad
  context: {cluster: gone, user: u}
- name: pdx
  context: {user: u}
clusters:
- name: c
  cluster: {server: https://c.example}
- name: d
  cluster: {server: https://d.example}
)";
    CHECK(resolve_error(text, "iad") == R"(kubeconfig /x/config: context "iad": cluster "gone" not found)");
    CHECK(resolve_error(text, "pdx") == R"(kubeconfig /x/config: context "pdx": cluster: not set)");
    const std::string no_user = R"(
clusters:
- name: c
  cluster: {server: https://c.example}
contexts:
- name: iad
  context: {cluster: c, user: nobody}
)";
    CHECK(resolve_error(no_user, "iad") == R"(kubeconfig /x/config: context "iad": user "nobody" not found)");
  }
  SUBCASE("server without scheme") {
    CHECK(resolve_error(R"(
clusters:
- name: c
  cluster: {server: "c.example:6443"}
contexts:
- name: iad
  context: {cluster: c}
)",
                        "iad") ==
          R"(kubeconfig /x/config: context "iad": cluster "c": server: "c.example:6443" has no scheme)");
  }
  SUBCASE("unreadable certificate file") {
    const auto message = resolve_error(R"(
clusters:
- name: c
  cluster: {server: https://c.example, certificate-authority: ca.crt}
contexts:
- name: iad
  context: {cluster: c}
)",
                                       "iad");
    CHECK(message == R"(kubeconfig /x/config: context "iad": cluster "c": certificate-authority: )"
                     R"(cannot read /x/ca.crt: No such file or directory)");
  }
  SUBCASE("client certificate without key") {
    const auto message = resolve_error(R"(
clusters:
- name: c
  cluster: {server: https://c.example}
users:
- name: u
  user: {client-certificate: )" + fixture("certs/test-only-client.crt") +
                                           R"(}
contexts:
- name: iad
  context: {cluster: c, user: u}
)",
                                       "iad");
    CHECK(message ==
          R"(kubeconfig /x/config: context "iad": user "u": client-certificate given without client-key)");
  }
  SUBCASE("v1 exec without interactiveMode, unknown exec apiVersion") {
    const std::string text = R"(
clusters:
- name: c
  cluster: {server: https://c.example}
users:
- name: v1
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: aws}
- name: alpha
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: aws}
contexts:
- name: iad
  context: {cluster: c, user: v1}
- name: pdx
  context: {cluster: c, user: alpha}
)";
    CHECK(resolve_error(text, "iad") ==
          R"(kubeconfig /x/config: context "iad": user "v1": exec: interactiveMode )"
          R"(must be set for client.authentication.k8s.io/v1)");
    CHECK(resolve_error(text, "pdx")
              .find("exec: apiVersion \"client.authentication.k8s.io/v1alpha1\" is not "
                    "supported") != std::string::npos);
  }
}

// The bad-input corpus (test/bad-input) checks these end to end; here each
// hint is pinned to the field it is about.
TEST_CASE("kubeconfig errors say how to fix them") {
  const auto with_cluster = [](const std::string& fields) {
    return "clusters:\n- name: c\n  cluster: {" + fields +
           "}\ncontexts:\n- name: iad\n  context: {cluster: c}\n";
  };
  const auto with_user = [](const std::string& fields) {
    return "clusters:\n- name: c\n  cluster: {server: https://c.example}\nusers:\n- name: u\n  user: {" +
           fields + "}\ncontexts:\n- name: iad\n  context: {cluster: c, user: u}\n";
  };
  SUBCASE("server without scheme: the URL to write") {
    CHECK(resolve_failure(with_cluster("server: c.example:6443"), "iad").hint ==
          "write it as https://c.example:6443");
  }
  SUBCASE("bad base64: how to encode, or the file field instead") {
    const Error ca =
        resolve_failure(with_cluster("server: https://c.example, certificate-authority-data: 'a*b'"), "iad");
    CHECK(ca.hint.find("base64 -w0 FILE") != std::string::npos);
    CHECK(ca.hint.find("certificate-authority") != std::string::npos);
    CHECK(ca.hint.find("certificate-authority-data") == std::string::npos);
    const Error key = resolve_failure(with_user("client-key-data: 'LS0t!'"), "iad");
    CHECK(key.message.find(R"(user "u": client-key-data: invalid base64 at byte 4)") != std::string::npos);
    CHECK(key.hint.find("client-key") != std::string::npos);
  }
  SUBCASE("truncated base64 says so") {
    const Error cut = resolve_failure(with_user("client-certificate-data: 'LS0tLS1CRUdJTi'"), "iad");
    CHECK(cut.message.find("client-certificate-data: invalid base64: ends in the middle of a 4-character "
                           "group at byte 14 (truncated?)") != std::string::npos);
  }
  SUBCASE("missing file: fix the path or inline it") {
    const Error missing = resolve_failure(with_user("client-certificate: no.crt, client-key: no.key"), "iad");
    CHECK(missing.message.find("client-certificate: cannot read /x/no.crt") != std::string::npos);
    CHECK(missing.hint.find("relative to the kubeconfig file") != std::string::npos);
  }
  SUBCASE("not PEM: how to convert") {
    TempDir dir;
    const auto der = (dir.path / "ca.der").string();
    std::ofstream(der) << std::string("\x30\x82\x01\x0a", 4);
    const Error pem =
        resolve_failure(with_cluster("server: https://c.example, certificate-authority: " + der), "iad");
    CHECK(pem.message.find(der + " is not PEM") != std::string::npos);
    CHECK(pem.hint.find("openssl x509 -inform DER") != std::string::npos);
  }
  SUBCASE("missing cluster or user: the kubectl command that points the context elsewhere") {
    const std::string text = "contexts:\n- name: iad\n  context: {cluster: gone, user: nobody}\n";
    CHECK(resolve_failure(text, "iad").hint.find("kubectl config set-context iad --cluster=NAME") !=
          std::string::npos);
    const std::string no_user =
        "clusters:\n- name: c\n  cluster: {server: https://c.example}\ncontexts:\n- name: iad\n"
        "  context: {cluster: c, user: nobody}\n";
    CHECK(resolve_failure(no_user, "iad").hint.find("kubectl config set-context iad --user=NAME") !=
          std::string::npos);
  }
  SUBCASE("unknown context: how to list them") {
    CHECK(resolve_failure(kMinimal, "pdx").hint == "meshctl contexts lists the contexts");
  }
}

TEST_CASE("malformed YAML and a missing --kubeconfig file say how to fix them") {
  auto yaml = parse("clusters: [\n");
  REQUIRE_FALSE(yaml);
  CHECK(yaml.error().hint.find("fix the file at that line") != std::string::npos);
  LoadOptions options;
  options.explicit_path = "/nonexistent/kubeconfig";
  auto missing = load_kubeconfig(options);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message == "kubeconfig /nonexistent/kubeconfig: file not found");
  CHECK(missing.error().hint == "check the path given to --kubeconfig");
}

TEST_CASE("auth-provider is refused with the replacement plugin named") {
  const auto text = [](const std::string& provider) {
    return R"(
clusters:
- name: c
  cluster: {server: https://c.example}
users:
- name: u
  user:
    auth-provider:
      name: )" +
           provider +
           R"(
      config: {access-token: meshctl-test-provider-token}
contexts:
- name: iad
  context: {cluster: c, user: u}
)";
  };
  const auto gcp = resolve_error(text("gcp"), "iad");
  CHECK(gcp.rfind(R"(kubeconfig /x/config: context "iad": user "u": auth-provider "gcp")", 0) == 0);
  CHECK(gcp.find("gke-gcloud-auth-plugin") != std::string::npos);
  CHECK(resolve_error(text("azure"), "iad").find("kubelogin") != std::string::npos);
  CHECK(resolve_error(text("oidc"), "iad").find("oidc-login") != std::string::npos);
  CHECK(resolve_error(text("acme"), "iad").find("exec credential plugin") != std::string::npos);
  // Listing contexts still works; only resolving this one fails.
  CHECK(parse(text("gcp"))->contexts().size() == 1);
}

TEST_CASE("file-level errors reject the file, naming it and the line") {
  auto yaml = parse("clusters:\n- name: c\n  cluster: {server: [unclosed\n");
  REQUIRE_FALSE(yaml);
  CHECK(yaml.error().code == Errc::config);
  CHECK(yaml.error().message.rfind("kubeconfig /x/config: line ", 0) == 0);
  CHECK(yaml.error().message.find("invalid YAML") != std::string::npos);

  auto tab = parse("clusters:\n\t- name: c\n");
  REQUIRE_FALSE(tab);
  CHECK(tab.error().message.rfind("kubeconfig /x/config: line 2", 0) == 0);

  auto dup = parse(
      "clusters:\n- name: c\n  cluster: {server: https://a}\n- name: c\n  cluster: {server: https://b}\n");
  REQUIRE_FALSE(dup);
  CHECK(dup.error().message == R"(kubeconfig /x/config: clusters[1]: duplicate name "c")");

  auto shape = parse("users: {name: u}\n");
  REQUIRE_FALSE(shape);
  CHECK(shape.error().message == "kubeconfig /x/config: users: expected a list");

  auto scalar = parse("just text\n");
  REQUIRE_FALSE(scalar);
  CHECK(scalar.error().message.find("not a kubeconfig") != std::string::npos);

  CHECK(parse("").has_value());  // an empty file is an empty config

  // Through the loader, a malformed file in KUBECONFIG fails the load with its path.
  TempDir dir;
  const auto bad = (dir.path / "bad.yaml").string();
  std::ofstream(bad) << "contexts:\n- name: a\n  context: {cluster: [\n";
  LoadOptions options;
  options.env_kubeconfig = fixture("basic.yaml") + ":" + bad;
  auto loaded = load_kubeconfig(options);
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().message.rfind("kubeconfig " + bad + ": line ", 0) == 0);
}

TEST_CASE("strict base64") {
  CHECK(base64_decode("").value() == "");
  CHECK(base64_decode("YQ==").value() == "a");
  CHECK(base64_decode("YWI=").value() == "ab");
  CHECK(base64_decode("YWJj").value() == "abc");
  CHECK(base64_decode("YW\r\nJj\n").value() == "abc");  // line breaks are skipped, as in Go
  CHECK_FALSE(base64_decode("YQ"));                     // padding required
  CHECK_FALSE(base64_decode("YQ="));
  CHECK_FALSE(base64_decode("Y==="));
  CHECK_FALSE(base64_decode("YQ==YQ=="));
  CHECK_FALSE(base64_decode("YW Jj"));
  CHECK_FALSE(base64_decode("YW-j"));  // URL alphabet is not accepted
  CHECK(base64_decode("abc!").error().message == "invalid base64 at byte 3");
  CHECK(base64_decode("YWJjZA").error().message ==
        "invalid base64: ends in the middle of a 4-character group at byte 6 (truncated?)");
  const std::string bytes("\x00\xff\x10 binary\n", 10);
  CHECK(base64_decode(base64_encode(bytes)).value() == bytes);
  CHECK(base64_encode("ab") == "YWI=");
}

TEST_CASE("auth kind names") {
  CHECK(std::string(auth_kind_name(AuthKind::exec)) == "exec");
  CHECK(std::string(auth_kind_name(AuthKind::client_cert)) == "client-certificate");
}

TEST_CASE("load options come from KUBECONFIG and HOME") {
  // Saved and restored: other tests in this process read the real environment.
  const auto saved = [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);
    return value ? std::optional<std::string>(value) : std::nullopt;
  };
  const auto restore = [](const char* name, const std::optional<std::string>& value) {
    if (value) {
      setenv(name, value->c_str(), 1);
    } else {
      unsetenv(name);
    }
  };
  const auto old_kubeconfig = saved("KUBECONFIG");
  const auto old_home = saved("HOME");
  setenv("KUBECONFIG", "/a:/b", 1);
  setenv("HOME", "/home/meshctl-test", 1);
  auto options = load_options_from_environment("/explicit");
  unsetenv("KUBECONFIG");
  const bool unset_seen = !load_options_from_environment("").env_kubeconfig.has_value();
  restore("KUBECONFIG", old_kubeconfig);
  restore("HOME", old_home);
  CHECK(options.explicit_path == "/explicit");
  CHECK(options.env_kubeconfig == std::optional<std::string>("/a:/b"));
  CHECK(options.home_dir == "/home/meshctl-test");
  CHECK(unset_seen);
}
