// Unit tests of tenantkv-admin: everything but main(). The HTTP client is
// exercised against an in-process httplib server on an ephemeral port.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tools/admin_client.h"
#include "tools/admin_command.h"
#include "tools/admin_routes.h"
#include "tools/apikey_commands.h"
#include "tools/apikey_view.h"
#include "tools/cli_errors.h"
#include "tools/command_line.h"
#include "tools/health_command.h"
#include "tools/invocation.h"
#include "tools/percent_encoding.h"
#include "tools/problem_details.h"
#include "tools/server_url.h"
#include "tools/tenant_commands.h"
#include "tools/tenant_view.h"
#include "tools/text_table.h"
#include "tools/token_source.h"
#include "tools/usage_command.h"
#include "tools/usage_view.h"

namespace tenantkv::tools {
namespace {

// ---------------------------------------------------------------- helpers

// A file in the test's temp dir, removed at the end of the test.
class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    char name[] = "/tmp/admin_cli_test_XXXXXX";
    const int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    close(fd);
    path_ = name;
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Records the requests it is given and answers with a canned response.
class FakeTransport final : public HttpTransport {
 public:
  explicit FakeTransport(Result<HttpResponse> answer) : answer_(std::move(answer)) {}
  Result<HttpResponse> Send(const HttpRequest& request) override {
    requests.push_back(request);
    return answer_;
  }
  std::vector<HttpRequest> requests;

 private:
  Result<HttpResponse> answer_;
};

HttpResponse Answer(int status, std::string body, std::string content_type = "application/json") {
  return HttpResponse{status, std::move(content_type), std::move(body)};
}

ParsedArgs Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "tenantkv-admin");
  return ParseArgs(static_cast<int>(args.size()), args.data());
}

const char kTenantJson[] = R"({
  "id": "acme", "plan": "standard", "state": "active",
  "created_at": "2026-11-29T02:30:00Z",
  "usage": {"keys": 12, "logical_bytes": 3400},
  "key_versions": [{"version": 1, "state": "active", "created_at": "2026-11-29T02:30:00Z"}],
  "quota": {"storage_bytes": 1073741824}
})";

const char kNotFoundProblem[] = R"({"type":"about:blank","title":"Not Found","status":404,)"
                                R"("detail":"tenant 'x' does not exist","code":"not_found"})";

// ------------------------------------------------------- percent-encoding

TEST(PercentEncoding, EncodesEverythingButUnreserved) {
  struct Case {
    std::string in;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"acme", "acme"},       {"a-b_c.d~e", "a-b_c.d~e"},
      {"a/b", "a%2Fb"},       {"a b", "a%20b"},
      {"100%", "100%25"},     {"?#&=+", "%3F%23%26%3D%2B"},
      {"\xC3\xBC", "%C3%BC"}, {std::string("a\0b", 3), "a%00b"},
      {".", "%2E"},           {"..", "%2E%2E"},
      {"...", "..."},         {"", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(EncodePathSegment(c.in), c.want);
  }
}

TEST(AdminRoutes, EncodeEachCallerSuppliedSegment) {
  EXPECT_EQ(TenantPath("acme"), "/admin/v1/tenants/acme");
  EXPECT_EQ(TenantPath("../x"), "/admin/v1/tenants/..%2Fx");
  EXPECT_EQ(ApiKeyPath("a b", "k/1"), "/admin/v1/tenants/a%20b/apikeys/k%2F1");
  EXPECT_EQ(TenantPath(".."), "/admin/v1/tenants/%2E%2E");
}

// -------------------------------------------------------------- server URL

TEST(ServerUrl, AcceptsHttpAndHttps) {
  struct Case {
    std::string url, scheme, host;
    int port;
    std::string base_path;
  };
  const std::vector<Case> cases = {
      {"http://127.0.0.1:8080", "http", "127.0.0.1", 8080, ""},
      {"https://kv.example.com", "https", "kv.example.com", 443, ""},
      {"HTTP://host", "http", "host", 80, ""},
      {"http://[::1]:9000/", "http", "[::1]", 9000, ""},
      {"https://gw.example.com/tenantkv/", "https", "gw.example.com", 443, "/tenantkv"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.url);
    Result<ServerUrl> url = ParseServerUrl(c.url);
    ASSERT_TRUE(url.ok()) << url.status().message();
    EXPECT_EQ(url->scheme, c.scheme);
    EXPECT_EQ(url->host, c.host);
    EXPECT_EQ(url->port, c.port);
    EXPECT_EQ(url->base_path, c.base_path);
  }
}

TEST(ServerUrl, RejectsMalformedUrlsAsUsageErrors) {
  for (const char* bad : {"localhost:8080", "ftp://host", "http://", "http://:80", "http://host:0",
                          "http://host:99999", "http://host:x", "http://u:p@host",
                          "http://host/?q=1", "http://[::1", "http://::1:80", "http://host/a b"}) {
    SCOPED_TRACE(bad);
    Result<ServerUrl> url = ParseServerUrl(bad);
    ASSERT_FALSE(url.ok());
    EXPECT_EQ(ExitCodeFor(url.status()), kExitUsage);
    EXPECT_NE(url.status().message().find("invalid --server URL"), std::string::npos);
  }
}

// ------------------------------------------------------------------ token

TEST(TokenSource, TokenFileWinsOverEnvironment) {
  TempFile file("from-file\n");
  Result<std::string> token = LoadToken(file.path(), "from-env");
  ASSERT_TRUE(token.ok()) << token.status().message();
  EXPECT_EQ(*token, "from-file");
}

TEST(TokenSource, StripsTrailingNewlineOfTokenFile) {
  for (const char* content : {"tok\n", "tok\r\n", "tok", "  tok \n\n"}) {
    SCOPED_TRACE(content);
    TempFile file(content);
    Result<std::string> token = LoadToken(file.path(), nullptr);
    ASSERT_TRUE(token.ok()) << token.status().message();
    EXPECT_EQ(*token, "tok");
  }
}

TEST(TokenSource, UsesEnvironmentWithoutTokenFile) {
  Result<std::string> token = LoadToken("", "env-token");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(*token, "env-token");
}

TEST(TokenSource, MissingTokenIsAClearUsageError) {
  Result<std::string> token = LoadToken("", nullptr);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(ExitCodeFor(token.status()), kExitUsage);
  EXPECT_EQ(ErrorLine(token.status()),
            "error: no token: pass --token-file FILE or set TENANTKV_TOKEN");
}

TEST(TokenSource, UnreadableFileIsAnErrorEvenWithEnvironment) {
  Result<std::string> token = LoadToken("/nonexistent/dir/token", "env-token");
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(ExitCodeFor(token.status()), kExitUsage);
  EXPECT_NE(token.status().message().find("cannot read token file '/nonexistent/dir/token'"),
            std::string::npos);
}

TEST(TokenSource, RejectsEmptyMultiLineAndOversizedTokensWithoutEchoingThem) {
  const std::vector<std::string> contents = {"", "\n\n", "secret-one\nsecret-two\n",
                                             "secret\x1b[2J", std::string(5000, 's')};
  for (const std::string& content : contents) {
    SCOPED_TRACE(content.size());
    TempFile file(content);
    Result<std::string> token = LoadToken(file.path(), nullptr);
    ASSERT_FALSE(token.ok());
    EXPECT_EQ(ExitCodeFor(token.status()), kExitUsage);
    EXPECT_EQ(token.status().message().find("secret"), std::string::npos);
  }
  EXPECT_FALSE(LoadToken("", "").ok());
}

// ---------------------------------------------------------- problem+json

TEST(ProblemDetails, OneLineFromProblemJson) {
  const Status status = HttpErrorStatus(404, kNotFoundProblem);
  EXPECT_EQ(ErrorLine(status), "error: 404 not_found: tenant 'x' does not exist");
  EXPECT_EQ(status.code(), Code::kNotFound);
  EXPECT_EQ(status.reason(), "not_found");
  EXPECT_EQ(ExitCodeFor(status), kExitFailure);
}

TEST(ProblemDetails, FallsBackToTitleThenReasonPhrase) {
  struct Case {
    int status;
    std::string body, want;
  };
  const std::vector<Case> cases = {
      {429, R"({"title":"Too many","code":"rate_limited"})", "429 rate_limited: Too many"},
      {409, R"({"detail":"tenant 'acme' exists"})", "409: tenant 'acme' exists"},
      {401, R"({"code":"unauthenticated","detail":""})", "401 unauthenticated: Unauthorized"},
      {502, "<html><body>Bad Gateway</body></html>", "502: Bad Gateway"},
      {503, "", "503: Service Unavailable"},
      {418, R"(["not","an","object"])", "418: HTTP error"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    EXPECT_EQ(DescribeHttpError(c.status, c.body), c.want);
  }
}

TEST(ProblemDetails, ErrorLineStaysOnOneLine) {
  const Status status =
      HttpErrorStatus(400, R"({"code":"bad_request","detail":"line one\nline two\u001b[31m"})");
  const std::string line = ErrorLine(status);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.find('\x1b'), std::string::npos);
  EXPECT_EQ(line, "error: 400 bad_request: line one line two [31m");
}

TEST(ProblemDetails, ServerCodeCannotPassForAUsageError) {
  EXPECT_EQ(ExitCodeFor(HttpErrorStatus(400, R"({"code":"usage"})")), kExitFailure);
  EXPECT_EQ(ExitCodeFor(HttpErrorStatus(400, R"({"code":"tenantkv-admin:usage"})")), kExitFailure);
}

// ------------------------------------------------------------------ tables

TEST(TextTable, AlignsColumnsWithoutTrailingSpaces) {
  TextTable table({"A", "LONG_HEADER", "C"});
  table.AddRow({"wide value", "x", "last"});
  table.AddRow({"\xC3\xBC", "y"});
  EXPECT_EQ(table.Render(),
            "A           LONG_HEADER  C\n"
            "wide value  x            last\n"
            "\xC3\xBC           y            -\n");
}

TEST(TenantView, ListShowsOneAlignedLinePerTenant) {
  const Json body = Json::parse(R"({"tenants": [)" + std::string(kTenantJson) + R"(,
      {"id": "beta", "plan": "free", "state": "suspended",
       "created_at": "2026-11-30T00:00:00Z"}]})");
  EXPECT_EQ(RenderTenantList(body),
            "ID    PLAN      STATE      CREATED_AT            KEYS  LOGICAL_BYTES\n"
            "acme  standard  active     2026-11-29T02:30:00Z  12    3400\n"
            "beta  free      suspended  2026-11-30T00:00:00Z  -     -\n");
}

TEST(TenantView, ListToleratesMissingAndExtraMembers) {
  EXPECT_EQ(RenderTenantList(Json::object()), "ID  PLAN  STATE  CREATED_AT  KEYS  LOGICAL_BYTES\n");
  const Json body = Json::parse(R"({"tenants":[{"id":"x","region":"eu"}]})");
  EXPECT_EQ(RenderTenantList(body),
            "ID  PLAN  STATE  CREATED_AT  KEYS  LOGICAL_BYTES  REGION\n"
            "x   -     -      -           -     -              eu\n");
}

TEST(TenantView, ShowListsFieldsThenKeyVersions) {
  EXPECT_EQ(RenderTenant(Json::parse(kTenantJson)),
            "FIELD                VALUE\n"
            "id                   acme\n"
            "plan                 standard\n"
            "state                active\n"
            "created_at           2026-11-29T02:30:00Z\n"
            "usage.keys           12\n"
            "usage.logical_bytes  3400\n"
            "quota.storage_bytes  1073741824\n"
            "\n"
            "key_versions\n"
            "VERSION  STATE   CREATED_AT\n"
            "1        active  2026-11-29T02:30:00Z\n");
}

TEST(TenantView, ShowToleratesAMinimalTenant) {
  EXPECT_EQ(RenderTenant(Json::parse(R"({"state":"active","id":"a","key_versions":[]})")),
            "FIELD         VALUE\n"
            "id            a\n"
            "state         active\n"
            "key_versions  []\n");
}

TEST(ApiKeyView, CreatedShowsTheTokenOnceWithANote) {
  const Json key = Json::parse(R"({"key_id":"k_7f3a","token":"tkv_secret123","role":"write",
                                   "tenant":"acme","created_at":"2026-11-29T02:30:00Z"})");
  EXPECT_EQ(RenderApiKeyCreated(key),
            "FIELD       VALUE\n"
            "tenant      acme\n"
            "key_id      k_7f3a\n"
            "role        write\n"
            "created_at  2026-11-29T02:30:00Z\n"
            "token       tkv_secret123\n"
            "\n"
            "The token is shown only this once: store it now.\n");
}

TEST(ApiKeyView, ListShowsOneLinePerKey) {
  const Json body = Json::parse(R"({"keys":[
      {"key_id":"k1","role":"read","created_at":"2026-11-29T02:30:00Z","state":"active"},
      {"key_id":"k2","role":"admin","created_at":"2026-11-29T03:00:00Z","state":"revoked"}]})");
  EXPECT_EQ(RenderApiKeyList(body),
            "KEY_ID  ROLE   STATE    CREATED_AT\n"
            "k1      read   active   2026-11-29T02:30:00Z\n"
            "k2      admin  revoked  2026-11-29T03:00:00Z\n");
}

TEST(UsageView, ShowsUsageAndQuotas) {
  const Json body = Json::parse(R"({"tenant":"acme",
      "usage":{"keys":12,"logical_bytes":3400},
      "quotas":{"requests_per_sec":{"limit":100,"used":3,"remaining":97},
                "storage_bytes":{"limit":1000,"used":250,"remaining":750,
                                 "burn_rate_per_hour":10,"projected_exhaustion":null}}})");
  EXPECT_EQ(RenderUsage(body),
            "FIELD   VALUE\n"
            "tenant  acme\n"
            "\n"
            "usage\n"
            "FIELD          VALUE\n"
            "keys           12\n"
            "logical_bytes  3400\n"
            "\n"
            "quotas\n"
            "QUOTA             LIMIT  USED  REMAINING  BURN_RATE_PER_HOUR  PROJECTED_EXHAUSTION\n"
            "requests_per_sec  100    3     97         -                   -\n"
            "storage_bytes     1000   250   750        10                  -\n");
}

TEST(UsageView, ToleratesMissingMembers) {
  EXPECT_EQ(RenderUsage(Json::object()), "no usage reported\n");
  EXPECT_EQ(RenderUsage(Json::parse(R"({"quotas":{"max_value_bytes":1048576}})")),
            "quotas\n"
            "QUOTA            LIMIT  USED  REMAINING  VALUE\n"
            "max_value_bytes  -      -     -          1048576\n");
}

// ---------------------------------------------------------------- commands

TEST(TenantCommands, BuildTheDocumentedRequests) {
  struct Case {
    AdminCommand command;
    std::string method, path, body;
  };
  const std::vector<Case> cases = {
      {TenantsCreate("acme", "premium"), "POST", "/admin/v1/tenants",
       R"({"id":"acme","plan":"premium"})"},
      {TenantsCreate("acme", std::nullopt), "POST", "/admin/v1/tenants", R"({"id":"acme"})"},
      {TenantsList(), "GET", "/admin/v1/tenants", ""},
      {TenantsShow("a/b"), "GET", "/admin/v1/tenants/a%2Fb", ""},
      {TenantsDelete("acme", true).value(), "DELETE", "/admin/v1/tenants/acme", ""},
      {TenantsSuspend("acme"), "POST", "/admin/v1/tenants/acme/suspend", ""},
      {TenantsResume("acme"), "POST", "/admin/v1/tenants/acme/resume", ""},
      {ApiKeysCreate("acme", "write"), "POST", "/admin/v1/tenants/acme/apikeys",
       R"({"role":"write"})"},
      {ApiKeysList("acme"), "GET", "/admin/v1/tenants/acme/apikeys", ""},
      {ApiKeysRevoke("acme", "k 1"), "DELETE", "/admin/v1/tenants/acme/apikeys/k%201", ""},
      {Usage(), "GET", "/v1/usage", ""},
      {Health(), "GET", "/readyz", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path);
    EXPECT_EQ(c.command.request.method, c.method);
    EXPECT_EQ(c.command.request.path, c.path);
    EXPECT_EQ(c.command.request.body ? c.command.request.body->dump() : "", c.body);
    EXPECT_EQ(c.command.request.authenticated, c.path != "/readyz");
  }
}

TEST(TenantCommands, DeleteWithoutYesIsRefusedAsUsageError) {
  Result<AdminCommand> command = TenantsDelete("acme", false);
  ASSERT_FALSE(command.ok());
  EXPECT_EQ(ExitCodeFor(command.status()), kExitUsage);
  EXPECT_EQ(ErrorLine(command.status()),
            "error: refusing to delete tenant 'acme' without --yes: deletion destroys its data "
            "keys and cannot be undone");
}

// ------------------------------------------------------------- RunCommand

TEST(RunCommand, RendersTablesByDefault) {
  FakeTransport transport(Answer(200, R"({"tenants":[{"id":"acme"}]})"));
  Result<std::string> out = RunCommand(TenantsList(), transport, false);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out,
            "ID    PLAN  STATE  CREATED_AT  KEYS  LOGICAL_BYTES\n"
            "acme  -     -      -           -     -\n");
  ASSERT_EQ(transport.requests.size(), 1u);
  EXPECT_EQ(transport.requests[0].path, "/admin/v1/tenants");
}

TEST(RunCommand, JsonPrintsTheBodyPrettyInServerOrder) {
  FakeTransport transport(Answer(201, R"({"id":"acme","plan":"free","a":[1]})"));
  Result<std::string> out = RunCommand(TenantsCreate("acme", "free"), transport, true);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "{\n  \"id\": \"acme\",\n  \"plan\": \"free\",\n  \"a\": [\n    1\n  ]\n}\n");
}

TEST(RunCommand, NoContentPrintsEmptyObjectInJsonMode) {
  FakeTransport transport(Answer(204, "", ""));
  Result<std::string> json = RunCommand(ApiKeysRevoke("acme", "k1"), transport, true);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(*json, "{}\n");
  Result<std::string> human = RunCommand(ApiKeysRevoke("acme", "k1"), transport, false);
  ASSERT_TRUE(human.ok());
  EXPECT_EQ(*human, "revoked key 'k1' of tenant 'acme'\n");
}

TEST(RunCommand, NonSuccessBecomesTheProblemLine) {
  FakeTransport transport(Answer(404, kNotFoundProblem, "application/problem+json"));
  Result<std::string> out = RunCommand(TenantsShow("x"), transport, true);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(ErrorLine(out.status()), "error: 404 not_found: tenant 'x' does not exist");
  EXPECT_EQ(ExitCodeFor(out.status()), kExitFailure);
}

TEST(RunCommand, TransportErrorsPassThrough) {
  FakeTransport transport(
      Status::Unavailable("cannot reach http://h:1: connection failed", "transport"));
  Result<std::string> out = RunCommand(TenantsList(), transport, false);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(ErrorLine(out.status()), "error: cannot reach http://h:1: connection failed");
  EXPECT_EQ(ExitCodeFor(out.status()), kExitFailure);
}

TEST(RunCommand, NonJsonSuccessBodyIsAnErrorExceptForHealth) {
  FakeTransport transport(Answer(200, "ok", "text/plain"));
  Result<std::string> list = RunCommand(TenantsList(), transport, false);
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(ExitCodeFor(list.status()), kExitFailure);
  Result<std::string> health = RunCommand(Health(), transport, false);
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(*health, "ready\n");
  Result<std::string> health_json = RunCommand(Health(), transport, true);
  ASSERT_TRUE(health_json.ok());
  EXPECT_EQ(*health_json, "\"ok\"\n");
}

// ------------------------------------------------------------ command line

TEST(CommandLine, ParsesGlobalsAndCommand) {
  ParsedArgs parsed = Parse({"--server", "http://h:1", "--token-file", "/t", "--json", "--timeout",
                             "2.5", "apikeys", "create", "acme", "--role", "read"});
  ASSERT_TRUE(parsed.invocation) << parsed.output;
  const Invocation& inv = *parsed.invocation;
  EXPECT_EQ(inv.globals.server, "http://h:1");
  EXPECT_EQ(inv.globals.token_file, "/t");
  EXPECT_TRUE(inv.globals.json);
  EXPECT_DOUBLE_EQ(inv.globals.timeout_seconds, 2.5);
  EXPECT_EQ(inv.command.request.path, "/admin/v1/tenants/acme/apikeys");
  EXPECT_EQ(inv.command.request.body->dump(), R"({"role":"read"})");
}

TEST(CommandLine, GlobalOptionsMayFollowTheCommand) {
  ParsedArgs parsed = Parse({"tenants", "show", "acme", "--server", "http://h:1", "--json"});
  ASSERT_TRUE(parsed.invocation) << parsed.output;
  EXPECT_TRUE(parsed.invocation->globals.json);
  EXPECT_DOUBLE_EQ(parsed.invocation->globals.timeout_seconds, 30);
  EXPECT_EQ(parsed.invocation->command.request.path, "/admin/v1/tenants/acme");
}

TEST(CommandLine, UsageErrorsExitTwoWithOneLine) {
  const std::vector<std::vector<const char*>> cases = {
      {"tenants", "list"},                                   // no --server
      {"--server", "http://h:1"},                            // no command
      {"--server", "http://h:1", "tenants"},                 // no subcommand
      {"--server", "http://h:1", "tenants", "show"},         // no id
      {"--server", "http://h:1", "tenants", "show", ""},     // empty id
      {"--server", "http://h:1", "apikeys", "create", "a"},  // no --role
      {"--server", "http://h:1", "apikeys", "create", "a", "--role", "root"},
      {"--server", "http://h:1", "--timeout", "0", "health"},
      {"--server", "http://h:1", "tenants", "delete", "acme"},  // no --yes
      {"--server", "http://h:1", "tenants", "frobnicate"},
  };
  for (const auto& args : cases) {
    SCOPED_TRACE(args.size() > 2 ? args[2] : args[0]);
    ParsedArgs parsed = Parse(args);
    EXPECT_FALSE(parsed.invocation);
    EXPECT_EQ(parsed.exit_code, kExitUsage);
    EXPECT_EQ(parsed.output.rfind("error: ", 0), 0u) << parsed.output;
    EXPECT_EQ(parsed.output.find('\n'), parsed.output.size() - 1) << parsed.output;
  }
}

TEST(CommandLine, DeleteWithYesParses) {
  ParsedArgs parsed = Parse({"--server", "http://h:1", "tenants", "delete", "acme", "--yes"});
  ASSERT_TRUE(parsed.invocation) << parsed.output;
  EXPECT_EQ(parsed.invocation->command.request.method, "DELETE");
}

TEST(CommandLine, HelpExitsZeroWithText) {
  ParsedArgs parsed = Parse({"--help"});
  EXPECT_FALSE(parsed.invocation);
  EXPECT_EQ(parsed.exit_code, 0);
  EXPECT_NE(parsed.output.find("tenants"), std::string::npos);
  EXPECT_NE(parsed.output.find("--token-file"), std::string::npos);
}

// ------------------------------------------------- AdminClient over HTTP

// An httplib server on 127.0.0.1 and an ephemeral port, answering every
// request with `handler` and keeping the last request it saw.
class LocalServer {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

  explicit LocalServer(Handler handler) : handler_(std::move(handler)) {
    const auto record = [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        last_ = req;
      }
      handler_(req, res);
    };
    server_.Get(".*", record);
    server_.Post(".*", record);
    server_.Delete(".*", record);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~LocalServer() {
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  httplib::Request last() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_;
  }

 private:
  Handler handler_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  httplib::Request last_;
};

std::unique_ptr<AdminClient> ClientFor(const std::string& url, double timeout = 5) {
  ClientOptions options;
  options.server = ParseServerUrl(url).value();
  options.token = "tkv_test_token";
  options.timeout_seconds = timeout;
  return std::move(AdminClient::Create(std::move(options))).value();
}

TEST(AdminClient, SendsBearerTokenEncodedPathAndJsonBody) {
  LocalServer server([](const httplib::Request&, httplib::Response& res) {
    res.status = 201;
    res.set_content(R"({"key_id":"k1"})", "application/json");
  });
  auto client = ClientFor(server.url() + "/base");
  Result<std::string> out = RunCommand(ApiKeysCreate("a b", "write"), *client, true);
  ASSERT_TRUE(out.ok()) << out.status().message();
  const httplib::Request seen = server.last();
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/base/admin/v1/tenants/a%20b/apikeys");
  EXPECT_EQ(seen.get_header_value("Authorization"), "Bearer tkv_test_token");
  EXPECT_EQ(seen.get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(seen.body, R"({"role":"write"})");
}

TEST(AdminClient, HealthSendsNoToken) {
  LocalServer server([](const httplib::Request&, httplib::Response& res) {
    res.set_content("ready", "text/plain");
  });
  Result<std::string> out = RunCommand(Health(), *ClientFor(server.url()), false);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out, "ready\n");
  EXPECT_FALSE(server.last().has_header("Authorization"));
}

TEST(AdminClient, ProblemAnswerBecomesErrorLine) {
  LocalServer server([](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_content(kNotFoundProblem, "application/problem+json");
  });
  Result<std::string> out = RunCommand(TenantsShow("x"), *ClientFor(server.url()), false);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(ErrorLine(out.status()), "error: 404 not_found: tenant 'x' does not exist");
}

TEST(AdminClient, ConnectionRefusedIsATransportError) {
  Result<std::string> out = RunCommand(TenantsList(), *ClientFor("http://127.0.0.1:1"), false);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(ExitCodeFor(out.status()), kExitFailure);
  EXPECT_EQ(out.status().reason(), "transport");
  EXPECT_EQ(out.status().message().rfind("cannot reach http://127.0.0.1:1: ", 0), 0u);
  EXPECT_EQ(out.status().message().find("tkv_test_token"), std::string::npos);
}

TEST(AdminClient, SlowAnswerTimesOut) {
  LocalServer server([](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    res.set_content("{}", "application/json");
  });
  const auto start = std::chrono::steady_clock::now();
  Result<std::string> out = RunCommand(TenantsList(), *ClientFor(server.url(), 0.1), false);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().reason(), "transport");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
}

TEST(Execute, MissingTokenFailsBeforeConnecting) {
  Invocation invocation{GlobalOptions{}, TenantsList()};
  invocation.globals.server = "http://127.0.0.1:1";
  Result<std::string> out = Execute(invocation, nullptr);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(ExitCodeFor(out.status()), kExitUsage);
}

TEST(Execute, HealthNeedsNoToken) {
  LocalServer server([](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"status":"ready"})", "application/json");
  });
  Invocation invocation{GlobalOptions{}, Health()};
  invocation.globals.server = server.url();
  invocation.globals.json = true;
  Result<std::string> out = Execute(invocation, nullptr);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out, "{\n  \"status\": \"ready\"\n}\n");
}

}  // namespace
}  // namespace tenantkv::tools
