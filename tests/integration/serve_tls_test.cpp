// `serve --web.config.file`: TLS and basic auth as the Prometheus exporter toolkit configures them,
// checked with the clients a fleet uses: a real Prometheus and curl, against certificates made
// here by the openssl command and bcrypt hashes made by libxcrypt (not by tcpsight).
#include <crypt.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "harness.hpp"
#include "serve_test_support.hpp"

namespace tcpsight::itest::serve {
namespace {

namespace fs = std::filesystem;

std::string bcrypt(const std::string& password) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (!crypt_gensalt_rn("$2b$", 4, nullptr, 0, setting, sizeof setting)) throw std::runtime_error("crypt_gensalt");
  crypt_data data{};
  return crypt_r(password.c_str(), setting, &data);
}

// A certificate authority in `dir`, and certificates it signs (EC P-256, valid for two days unless
// asked otherwise), made with the openssl command.
class Authority {
 public:
  Authority(std::string dir, std::string name) : dir_(std::move(dir)), name_(std::move(name)) {
    run_checked({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-keyout", path("ca.key"), "-out", path("ca.pem"), "-subj", "/CN=" + name_ + " test CA", "-days", "2"});
  }
  std::string ca() const { return path("ca.pem"); }

  // Writes NAME.pem and NAME.key; `days` < 0 makes one that has already expired.
  void issue(const std::string& name, const std::string& extensions, int days = 2) const {
    std::ofstream(path(name + ".ext")) << extensions << "\n";
    run_checked({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                 path(name + ".key"), "-out", path(name + ".csr"), "-subj", "/CN=" + name});
    run_checked({"openssl", "x509", "-req", "-in", path(name + ".csr"), "-CA", ca(), "-CAkey", path("ca.key"),
                 "-set_serial", std::to_string(++serial_), "-days", std::to_string(days), "-extfile",
                 path(name + ".ext"), "-out", path(name + ".pem")});
  }
  void issue_server(const std::string& name) const { issue(name, "subjectAltName=IP:127.0.0.1"); }
  void issue_client(const std::string& name, int days = 2) const { issue(name, "extendedKeyUsage=clientAuth", days); }
  std::string path(const std::string& file) const { return dir_ + "/" + name_ + "-" + file; }

 private:
  std::string dir_, name_;
  mutable int serial_ = 0;
};

struct CurlResult {
  int exit_code;     // curl's: 0, or e.g. 35 (TLS handshake failed), 60 (certificate not trusted)
  std::string code;  // the HTTP status, "000" when there was no HTTP answer
};

// GET url with curl inside the namespace; `options` are curl's (--cacert, -u, --cert, --key).
CurlResult curl(const Netns& ns, const std::string& url, const std::vector<std::string>& options) {
  std::vector<std::string> argv{"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back(url);
  const CommandResult r = run_command(argv, ns.inside(), 20s);
  return {r.exit_code, r.out};
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

constexpr const char* kMetrics = "https://127.0.0.1:9977/metrics";

TEST(ServeTls, ARealPrometheusScrapesItOverTlsWithBasicAuthAndAWrongPasswordIsRefused) {
  TS_REQUIRE_ROOT_OR_SKIP();
  TS_REQUIRE_TOOL_OR_SKIP(prometheus, "prometheus");
  Netns ns("serve-tls");
  TempDir dir("serve-tls");
  const Authority authority(dir.path(), "a");
  authority.issue_server("server");
  // Relative paths are relative to the config file, as in the exporter toolkit.
  const std::string web = dir.path() + "/web.yml";
  write_file(web, "tls_server_config:\n  cert_file: a-server.pem\n  key_file: a-server.key\n"
                  "basic_auth_users:\n  prometheus: '" + bcrypt("s3cret pass") + "'\n");
  ServeUnderTest serve(ns, "127.0.0.1:9977", {"--web.config.file", web});
  ASSERT_TRUE(serve.ready()) << serve.child().err();
  EXPECT_NE(serve.child().err().find("serving https://127.0.0.1:9977/metrics"), std::string::npos) << serve.child().err();

  const std::vector<std::string> trusted{"--cacert", authority.ca()};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.begin(), trusted.begin(), trusted.end());
    return extra;
  };
  EXPECT_EQ(curl(ns, kMetrics, with({"-u", "prometheus:s3cret pass"})).code, "200");
  EXPECT_EQ(curl(ns, kMetrics, with({"-u", "prometheus:wrong"})).code, "401");
  EXPECT_EQ(curl(ns, kMetrics, with({"-u", "nobody:s3cret pass"})).code, "401");
  EXPECT_EQ(curl(ns, kMetrics, trusted).code, "401");
  EXPECT_EQ(curl(ns, "https://127.0.0.1:9977/healthz", trusted).code, "401") << "every path is guarded";
  const CurlResult plain = curl(ns, "http://127.0.0.1:9977/metrics", {});
  EXPECT_NE(plain.exit_code, 0) << "plain HTTP to the TLS port got HTTP " << plain.code;
  EXPECT_NE(plain.code, "200");
  const CurlResult untrusted = curl(ns, kMetrics, {"-u", "prometheus:s3cret pass"});
  EXPECT_EQ(untrusted.exit_code, 60) << "a client without the CA must not trust the certificate";

  const std::string config = dir.path() + "/prometheus.yml";
  std::string jobs;
  for (const auto& [job, password] : {std::pair<std::string, std::string>{"tcpsight", "s3cret pass"},
                                      {"wrong-password", "not it"}})
    jobs += "  - job_name: " + job + "\n    scheme: https\n    scrape_timeout: 900ms\n"
            "    tls_config:\n      ca_file: " + authority.ca() + "\n"
            "    basic_auth:\n      username: prometheus\n      password: '" + password + "'\n"
            "    static_configs:\n      - targets: ['127.0.0.1:9977']\n";
  write_file(config, "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n" + jobs);
  Child server({prometheus, "--config.file=" + config, "--storage.tsdb.path=" + dir.path() + "/data",
                "--web.listen-address=127.0.0.1:9090", "--log.level=warn"},
               ns.inside());
  ASSERT_TRUE(wait_for_prometheus(ns, 90s)) << "Prometheus did not become ready:\n" << server.err();

  std::optional<double> up, up_wrong;
  const bool scraped = wait_until(
      [&] {
        up = query(ns, R"(up{job="tcpsight"})");
        up_wrong = query(ns, R"(up{job="wrong-password"})");
        return up == 1.0 && up_wrong == 0.0;
      },
      60s, 500ms);
  const auto health = target_health(ns, "tcpsight");
  const auto wrong = target_health(ns, "wrong-password");
  EXPECT_TRUE(scraped) << "up " << up.value_or(-1) << " (" << health.second << "), wrong password's up "
                       << up_wrong.value_or(-1) << " (" << wrong.second << ")";
  EXPECT_NE(wrong.second.find("401"), std::string::npos) << wrong.second;
  // What it scraped is tcpsight's: the gauge of the listener serve itself holds.
  wait_until([&] { return query(ns, R"(tcpsight_sockets{state="LISTEN"})").has_value(); }, 20s, 500ms);
  EXPECT_GE(query(ns, R"(tcpsight_sockets{state="LISTEN"})").value_or(0), 2.0) << "serve's and Prometheus's listeners";
}

TEST(ServeTls, ReplacedCertificateFilesServeTheNextConnectionWithoutARestart) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("serve-tls-rotate");
  TempDir dir("serve-tls-rotate");
  const Authority old_ca(dir.path(), "old"), new_ca(dir.path(), "new");
  old_ca.issue_server("server");
  new_ca.issue_server("server");
  const std::string cert = dir.path() + "/server.pem", key = dir.path() + "/server.key";
  fs::copy_file(old_ca.path("server.pem"), cert);
  fs::copy_file(old_ca.path("server.key"), key);
  const std::string web = dir.path() + "/web.yml";
  write_file(web, "tls_server_config:\n  cert_file: " + cert + "\n  key_file: " + key + "\n");
  ServeUnderTest serve(ns, "127.0.0.1:9977", {"--web.config.file", web});
  ASSERT_TRUE(serve.ready()) << serve.child().err();
  EXPECT_EQ(curl(ns, kMetrics, {"--cacert", old_ca.ca()}).code, "200");
  EXPECT_EQ(curl(ns, kMetrics, {"--cacert", new_ca.ca()}).exit_code, 60);

  // As certificate managers rotate: new files renamed over the old ones, key first.
  for (const auto& [from, to] : {std::pair{new_ca.path("server.key"), key}, std::pair{new_ca.path("server.pem"), cert}}) {
    fs::copy_file(from, to + ".new");
    fs::rename(to + ".new", to);
  }
  EXPECT_TRUE(wait_until([&] { return curl(ns, kMetrics, {"--cacert", new_ca.ca()}).code == "200"; }, 10s, 100ms))
      << serve.child().err();
  EXPECT_EQ(curl(ns, kMetrics, {"--cacert", old_ca.ca()}).exit_code, 60) << "the old certificate is still served";
  EXPECT_TRUE(serve.child().running());
}

TEST(ServeTls, ClientCertificatesAreVerifiedWhenTheConfigRequiresThem) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("serve-tls-client");
  TempDir dir("serve-tls-client");
  const Authority authority(dir.path(), "ca"), stranger(dir.path(), "stranger");
  authority.issue_server("server");
  authority.issue_client("client");
  authority.issue_client("expired", -1);
  stranger.issue_client("client");
  const std::string web = dir.path() + "/web.yml";
  write_file(web, "tls_server_config:\n  cert_file: ca-server.pem\n  key_file: ca-server.key\n"
                  "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca-ca.pem\n  min_version: TLS13\n");
  ServeUnderTest serve(ns, "127.0.0.1:9977", {"--web.config.file", web});
  ASSERT_TRUE(serve.ready()) << serve.child().err();
  const auto as = [&](const Authority& a, const std::string& name) {
    return curl(ns, kMetrics, {"--cacert", authority.ca(), "--cert", a.path(name + ".pem"), "--key", a.path(name + ".key")});
  };
  EXPECT_EQ(as(authority, "client").code, "200");
  EXPECT_NE(curl(ns, kMetrics, {"--cacert", authority.ca()}).code, "200") << "no client certificate";
  EXPECT_NE(as(authority, "expired").code, "200") << "an expired client certificate";
  EXPECT_NE(as(stranger, "client").code, "200") << "a client certificate of another CA";
  EXPECT_NE(curl(ns, kMetrics, {"--cacert", authority.ca(), "--tls-max", "1.2", "--cert", authority.path("client.pem"),
                                "--key", authority.path("client.key")})
                .code,
            "200")
      << "TLS 1.2 below min_version TLS13";
}

TEST(ServeTls, AWebConfigThatDoesNotLoadStopsServeAtStartNamingWhy) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("serve-tls-bad");
  TempDir dir("serve-tls-bad");
  const Authority a(dir.path(), "a"), b(dir.path(), "b");
  a.issue_server("server");
  b.issue_server("server");
  const std::string tls = "tls_server_config:\n  cert_file: a-server.pem\n";
  const std::vector<std::pair<std::string, std::string>> cases{
      {tls + "  key_file: b-server.key\n", "does not match"},
      {tls + "  kee_file: a-server.key\n", "unknown key tls_server_config.kee_file"},
      {tls + "  key_file: a-server.key\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n", "cipher_suites is not supported"},
      {tls + "  key_file: a-server.key\n  min_version: TLS14\n", "min_version"},
      {tls, "missing key_file"},
      {"basic_auth_users:\n  alice: plaintext\n", "not a bcrypt hash"},
      {"tls_server_config: [\n", "not YAML"},
  };
  for (const auto& [text, reason] : cases) {
    const std::string web = dir.path() + "/web.yml";
    write_file(web, text);
    const CommandResult r =
        run_command({tcpsight_binary(), "serve", "--listen", "127.0.0.1:0", "--web.config.file", web}, ns.inside(), 20s);
    EXPECT_EQ(r.exit_code, 1) << text << r.err;
    EXPECT_NE(r.err.find(reason), std::string::npos) << "expected " << reason << " for\n" << text << "got: " << r.err;
    EXPECT_NE(r.err.find(web), std::string::npos) << "the message names the file: " << r.err;
  }
}

}  // namespace
}  // namespace tcpsight::itest::serve
