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

#include "tools/admin/addon_commands.h"
#include "tools/admin/admin_client.h"
#include "tools/admin/admin_command.h"
#include "tools/admin/admin_routes.h"
#include "tools/admin/apikey_commands.h"
#include "tools/admin/apikey_view.h"
#include "tools/admin/audit_commands.h"
#include "tools/admin/backup_commands.h"
#include "tools/admin/cli_errors.h"
#include "tools/admin/cluster_commands.h"
#include "tools/admin/command_line.h"
#include "tools/admin/master_key_commands.h"
#include "tools/admin/field_assignments.h"
#include "tools/admin/health_command.h"
#include "tools/admin/invocation.h"
#include "tools/admin/key_commands.h"
#include "tools/admin/operator_commands.h"
#include "tools/admin/request_commands.h"
#include "tools/admin/percent_encoding.h"
#include "tools/admin/plan_commands.h"
#include "tools/admin/plan_view.h"
#include "tools/admin/problem_details.h"
#include "tools/admin/quota_commands.h"
#include "tools/admin/quota_view.h"
#include "tools/admin/server_url.h"
#include "tools/admin/tenant_commands.h"
#include "tools/admin/tenant_view.h"
#include "tools/admin/text_table.h"
#include "tools/admin/token_source.h"
#include "tools/admin/usage_command.h"
#include "tools/admin/usage_view.h"

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

// The answers of the server, with its members in the order it writes them.
const char kUsageJson[] = R"({"quotas":{
  "max_concurrent":{"limit":64,"remaining":64,"used":0},
  "max_value_bytes":{"limit":1048576},
  "read_bytes_per_sec":{"limit":41943040,"rate":20971520,"remaining":41943040,"used":0},
  "requests_per_sec":{"limit":1000,"rate":500,"remaining":997,"used":3},
  "storage_bytes":{"burn_rate_per_hour":3600.0,"limit":10000,
                   "projected_exhaustion":"2026-11-29T04:30:00Z","remaining":7500,
                   "soft_limit":9000,"used":2500},
  "write_bytes_per_sec":{"limit":20971520,"rate":10485760,"remaining":20971520,"used":0}},
  "tenant":"acme","usage":{"keys":12,"logical_bytes":2500}})";

const char kManifestJson[] = R"({"quota":{"burst_requests":1000,"requests_per_sec":500,"weight":2},
  "updated_at":"2026-11-29T02:30:00Z","updated_by":"operator","version":3})";

const char kChangedManifestJson[] = R"({"changes":{"burst_requests":[1000,5],
  "requests_per_sec":[500,100]},
  "quota":{"burst_requests":5,"requests_per_sec":100,"weight":2},
  "updated_at":"2026-11-29T03:00:00Z","updated_by":"k_7f3a","version":4})";

const char kHistoryJson[] = R"({"versions":[
  {"changes":{},"quota":{"requests_per_sec":500},"updated_at":"2026-11-29T02:30:00Z",
   "updated_by":"operator","version":1},
  {"changes":{"burst_requests":[1000,5],"requests_per_sec":[500,100]},
   "quota":{"requests_per_sec":100},"updated_at":"2026-11-29T03:00:00Z",
   "updated_by":"k_7f3a","version":2}]})";

const char kPlansJson[] = R"({"plans":[
  {"defaults":{"max_value_bytes":262144,"requests_per_sec":50,"storage_bytes":104857600,"weight":1},
   "max":{"requests_per_sec":50},"min":{"requests_per_sec":1},"name":"free"},
  {"defaults":{"max_value_bytes":1048576,"requests_per_sec":500,"storage_bytes":10737418240,
               "weight":2},
   "max":{"requests_per_sec":500},"min":{"requests_per_sec":1},"name":"standard"}]})";

const char kPlanJson[] = R"({"defaults":{"requests_per_sec":500,"weight":2},
  "max":{"requests_per_sec":500,"storage_soft_pct":100,"weight":2},
  "min":{"requests_per_sec":1,"weight":1},"name":"standard"})";

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
  EXPECT_EQ(QuotaPath("a/b"), "/admin/v1/tenants/a%2Fb/quota");
  EXPECT_EQ(PlanPath("gold?x"), "/admin/v1/plans/gold%3Fx");
}

// ------------------------------------------------------- FIELD=VALUE

TEST(FieldAssignments, ParsesIntegerFieldsInOrder) {
  struct Case {
    std::vector<std::string> in;
    std::string want;
  };
  const std::vector<Case> cases = {
      {{"weight=2"}, R"({"weight":2})"},
      {{"requests_per_sec=100", "burst_requests=5"},
       R"({"requests_per_sec":100,"burst_requests":5})"},
      {{"reserved_ops_per_sec=0"}, R"({"reserved_ops_per_sec":0})"},
      {{"weight=-1"}, R"({"weight":-1})"},  // the server judges the range
      {{"max_queue_ms=007"}, R"({"max_queue_ms":7})"},
      {{"storage_bytes=9223372036854775807"}, R"({"storage_bytes":9223372036854775807})"},
      {{"field_2=1"}, R"({"field_2":1})"},  // unknown fields are the server's to refuse
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.want);
    Result<Json> fields = ParseFieldAssignments(c.in);
    ASSERT_TRUE(fields.ok()) << fields.status().message();
    EXPECT_EQ(fields->dump(), c.want);
  }
}

TEST(FieldAssignments, RejectsMalformedAsUsageErrors) {
  struct Case {
    std::vector<std::string> in;
    std::string want_in_message;
  };
  const std::vector<Case> cases = {
      {{}, "no FIELD=VALUE given"},
      {{"weight"}, "'weight': no '='"},
      {{"=5"}, "'=5': FIELD must match"},
      {{"Weight=1"}, "FIELD must match"},
      {{"we ight=1"}, "FIELD must match"},
      {{"weight="}, "'weight=': VALUE must be an integer"},
      {{"weight=x"}, "VALUE must be an integer"},
      {{"weight=1.5"}, "VALUE must be an integer"},
      {{"weight=+1"}, "VALUE must be an integer"},
      {{"weight= 1"}, "VALUE must be an integer"},
      {{"weight=1 "}, "VALUE must be an integer"},
      {{"weight=1k"}, "VALUE must be an integer"},
      {{"weight=1e3"}, "VALUE must be an integer"},
      {{"weight=0x10"}, "VALUE must be an integer"},
      {{"weight=-"}, "VALUE must be an integer"},
      {{"weight=1=2"}, "VALUE must be an integer"},
      {{"storage_bytes=9223372036854775808"}, "VALUE must be an integer"},
      {{"weight=1", "burst_requests=2", "weight=3"}, "'weight' is given more than once"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.want_in_message);
    Result<Json> fields = ParseFieldAssignments(c.in);
    ASSERT_FALSE(fields.ok());
    EXPECT_EQ(ExitCodeFor(fields.status()), kExitUsage);
    EXPECT_NE(fields.status().message().find(c.want_in_message), std::string::npos)
        << fields.status().message();
  }
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

TEST(TenantView, ShowListsFieldsThenQuotaThenKeyVersions) {
  EXPECT_EQ(RenderTenant(Json::parse(kTenantJson)),
            "FIELD                VALUE\n"
            "id                   acme\n"
            "plan                 standard\n"
            "state                active\n"
            "created_at           2026-11-29T02:30:00Z\n"
            "usage.keys           12\n"
            "usage.logical_bytes  3400\n"
            "\n"
            "quota\n"
            "FIELD          VALUE\n"
            "storage_bytes  1073741824\n"
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
            "KEY_ID  NAME  ROLE   STATE    CREATED_AT            EXPIRES_AT\n"
            "k1      -     read   active   2026-11-29T02:30:00Z  -\n"
            "k2      -     admin  revoked  2026-11-29T03:00:00Z  -\n");
}

TEST(ApiKeyView, ListShowsNamesAndExpiries) {
  const Json body = Json::parse(R"({"keys":[
      {"key_id":"k1","name":"ci <deploy>","role":"write","created_at":"2026-11-29T02:30:00Z","state":"active",
       "expires_at":"2027-01-01T00:00:00Z"},
      {"key_id":"k2","name":null,"role":"read","created_at":"2026-11-29T03:00:00Z","state":"active",
       "expires_at":null}]})");
  EXPECT_EQ(RenderApiKeyList(body),
            "KEY_ID  NAME         ROLE   STATE   CREATED_AT            EXPIRES_AT\n"
            "k1      ci <deploy>  write  active  2026-11-29T02:30:00Z  2027-01-01T00:00:00Z\n"
            "k2      -            read   active  2026-11-29T03:00:00Z  -\n");
}

TEST(ApiKeyView, CreatedShowsNameAndExpiry) {
  const Json key = Json::parse(R"({"key_id":"k_7f3a","token":"tkv_secret123","role":"write","name":"ci",
                                   "tenant":"acme","created_at":"2026-11-29T02:30:00Z",
                                   "expires_at":"2027-01-01T00:00:00.500Z","state":"active"})");
  EXPECT_EQ(RenderApiKeyCreated(key),
            "FIELD       VALUE\n"
            "tenant      acme\n"
            "key_id      k_7f3a\n"
            "name        ci\n"
            "role        write\n"
            "created_at  2026-11-29T02:30:00Z\n"
            "expires_at  2027-01-01T00:00:00.500Z\n"
            "token       tkv_secret123\n"
            "state       active\n"
            "\n"
            "The token is shown only this once: store it now.\n");
}

TEST(UsageView, ShowsQuotaTableAndStorageForecast) {
  const Json body = Json::parse(kUsageJson);
  EXPECT_EQ(RenderUsage(body),
            "FIELD   VALUE\n"
            "tenant  acme\n"
            "\n"
            "usage\n"
            "FIELD          VALUE\n"
            "keys           12\n"
            "logical_bytes  2500\n"
            "\n"
            "quotas\n"
            "QUOTA                LIMIT     USED  REMAINING  RATE      SOFT_LIMIT\n"
            "max_concurrent       64        0     64         -         -\n"
            "max_value_bytes      1048576   -     -          -         -\n"
            "read_bytes_per_sec   41943040  0     41943040   20971520  -\n"
            "requests_per_sec     1000      3     997        500       -\n"
            "storage_bytes        10000     2500  7500       -         9000\n"
            "write_bytes_per_sec  20971520  0     20971520   10485760  -\n"
            "\n"
            "storage burn rate: 3600.0 bytes/hour\n"
            "storage projected exhaustion: 2026-11-29T04:30:00Z\n");
}

TEST(UsageView, NoProjectedExhaustionWhenStorageIsNotGrowing) {
  const Json body = Json::parse(R"({"quotas":{"storage_bytes":{"burn_rate_per_hour":0.0,
      "limit":10,"projected_exhaustion":null,"remaining":10,"soft_limit":9,"used":0}}})");
  EXPECT_EQ(RenderUsage(body),
            "quotas\n"
            "QUOTA          LIMIT  USED  REMAINING  SOFT_LIMIT\n"
            "storage_bytes  10     0     10         9\n"
            "\n"
            "storage burn rate: 0.0 bytes/hour\n"
            "storage projected exhaustion: none (not growing)\n");
}

TEST(UsageView, ToleratesMissingMembers) {
  EXPECT_EQ(RenderUsage(Json::object()), "no usage reported\n");
  EXPECT_EQ(RenderUsage(Json::parse(R"({"quotas":{"max_value_bytes":1048576}})")),
            "quotas\n"
            "QUOTA            LIMIT  USED  REMAINING  VALUE\n"
            "max_value_bytes  -      -     -          1048576\n");
}

TEST(QuotaView, ManifestShowsVersionThenQuotaTable) {
  EXPECT_EQ(RenderQuotaManifest(Json::parse(kManifestJson)),
            "FIELD       VALUE\n"
            "version     3\n"
            "updated_by  operator\n"
            "updated_at  2026-11-29T02:30:00Z\n"
            "\n"
            "quota\n"
            "FIELD             VALUE\n"
            "burst_requests    1000\n"
            "requests_per_sec  500\n"
            "weight            2\n");
}

TEST(QuotaView, NewManifestShowsItsChanges) {
  EXPECT_EQ(RenderQuotaManifest(Json::parse(kChangedManifestJson)),
            "FIELD       VALUE\n"
            "version     4\n"
            "updated_by  k_7f3a\n"
            "updated_at  2026-11-29T03:00:00Z\n"
            "\n"
            "quota\n"
            "FIELD             VALUE\n"
            "burst_requests    5\n"
            "requests_per_sec  100\n"
            "weight            2\n"
            "\n"
            "changes\n"
            "FIELD             OLD   NEW\n"
            "burst_requests    1000  5\n"
            "requests_per_sec  500   100\n");
}

TEST(QuotaView, HistoryShowsOneLinePerVersion) {
  EXPECT_EQ(RenderQuotaHistory(Json::parse(kHistoryJson)),
            "VERSION  UPDATED_AT            UPDATED_BY  CHANGES\n"
            "1        2026-11-29T02:30:00Z  operator    -\n"
            "2        2026-11-29T03:00:00Z  k_7f3a      "
            "burst_requests 1000\u2192" "5, requests_per_sec 500\u2192" "100\n");
}

TEST(QuotaView, ChangesTextToleratesOddShapes) {
  struct Case {
    std::string changes, want;
  };
  const std::vector<Case> cases = {
      {"{}", "-"},
      {"null", "-"},
      {"[1,2]", "-"},
      {R"({"weight":[1,2]})", "weight 1\u2192" "2"},
      {R"({"weight":"odd"})", "weight odd"},
      {R"({"weight":[1,2,3]})", "weight [1,2,3]"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.changes);
    EXPECT_EQ(ChangesText(Json::parse(c.changes)), c.want);
  }
}

TEST(QuotaView, ToleratesMissingMembers) {
  EXPECT_EQ(RenderQuotaHistory(Json::object()), "VERSION  UPDATED_AT  UPDATED_BY  CHANGES\n");
  EXPECT_EQ(RenderQuotaHistory(Json::parse(R"({"versions":[{"version":1}]})")),
            "VERSION  UPDATED_AT  UPDATED_BY  CHANGES\n"
            "1        -           -           -\n");
  EXPECT_EQ(RenderQuotaManifest(Json::parse(R"({"version":1})")),
            "FIELD    VALUE\n"
            "version  1\n");
}

TEST(PlanView, ListShowsMainDefaultsPerPlan) {
  EXPECT_EQ(RenderPlanList(Json::parse(kPlansJson)),
            "NAME      REQUESTS_PER_SEC  STORAGE_BYTES  MAX_VALUE_BYTES  WEIGHT\n"
            "free      50                104857600      262144           1\n"
            "standard  500               10737418240    1048576          2\n");
}

TEST(PlanView, ShowHasOneLinePerFieldWithItsRange) {
  EXPECT_EQ(RenderPlan(Json::parse(kPlanJson)),
            "FIELD  VALUE\n"
            "name   standard\n"
            "\n"
            "FIELD             DEFAULT  MIN  MAX\n"
            "requests_per_sec  500      1    500\n"
            "weight            2        1    2\n"
            "storage_soft_pct  -        -    100\n");
}

TEST(PlanView, ToleratesMissingMembers) {
  EXPECT_EQ(RenderPlanList(Json::object()),
            "NAME  REQUESTS_PER_SEC  STORAGE_BYTES  MAX_VALUE_BYTES  WEIGHT\n");
  EXPECT_EQ(RenderPlan(Json::parse(R"({"name":"x","max":7})")),
            "FIELD  VALUE\n"
            "name   x\n"
            "\n"
            "FIELD  DEFAULT  MIN  MAX\n");
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
      {TenantsCreate("acme", "free", "column_family"), "POST", "/admin/v1/tenants",
       R"({"id":"acme","plan":"free","tier":"column_family"})"},
      {TenantsCreate("acme", std::nullopt, std::nullopt, "n2"), "POST", "/admin/v1/tenants",
       R"({"id":"acme","node":"n2"})"},
      {TenantsList(), "GET", "/admin/v1/tenants", ""},
      {TenantsList({"5", "a b", "free", "pooled", "active", false, std::nullopt}), "GET",
       "/admin/v1/tenants?limit=5&plan=free&tier=pooled&state=active&start_after=a%20b", ""},
      {TenantsList({std::nullopt, "acme", std::nullopt, std::nullopt, std::nullopt, true, std::nullopt}), "GET",
       "/admin/v1/tenants?start_after=acme", ""},
      {TenantsList({std::nullopt, std::nullopt, std::nullopt, "column_family", std::nullopt, true, std::nullopt}), "GET",
       "/admin/v1/tenants?tier=column_family", ""},
      {TenantsList({std::nullopt, std::nullopt, "free", std::nullopt, std::nullopt, false, "ac"}), "GET",
       "/admin/v1/tenants?prefix=ac&plan=free", ""},
      {ClusterTenants(), "GET", "/admin/v1/cluster/tenants", ""},
      {ClusterTenants({"n 2", "ac", "2", "acme", false}), "GET",
       "/admin/v1/cluster/tenants?node=n%202&prefix=ac&limit=2&start_after=acme", ""},
      {ClusterTenants({std::nullopt, std::nullopt, "1000", std::nullopt, true}), "GET",
       "/admin/v1/cluster/tenants?limit=1000", ""},
      {KeysSchedule({"7", "50", "acme", false}), "GET", "/admin/v1/keys/schedule?due_within_days=7&limit=50&start_after=acme",
       ""},
      {KeysSchedule({}), "GET", "/admin/v1/keys/schedule", ""},
      {OperatorsCreate("alice"), "POST", "/admin/v1/operator-keys", R"({"name":"alice"})"},
      {OperatorsList(), "GET", "/admin/v1/operator-keys", ""},
      {OperatorsRevoke("0123abcd"), "DELETE", "/admin/v1/operator-keys/0123abcd", ""},
      {AddonsCreate("acme", {"requests_per_sec=3000", "burst_requests=6000"}, {"2030-01-01T00:00:00Z", std::nullopt, "sale"})
           .value(),
       "POST", "/admin/v1/tenants/acme/addons",
       R"({"fields":{"requests_per_sec":3000,"burst_requests":6000},"ends_at":"2030-01-01T00:00:00Z","reason":"sale"})"},
      {AddonsCreate("acme", {"weight=2"}, {"2030-01-01T00:00:00Z", "2029-12-01T00:00:00Z", std::nullopt}).value(), "POST",
       "/admin/v1/tenants/acme/addons",
       R"({"fields":{"weight":2},"ends_at":"2030-01-01T00:00:00Z","starts_at":"2029-12-01T00:00:00Z"})"},
      {AddonsList("a b"), "GET", "/admin/v1/tenants/a%20b/addons", ""},
      {AddonsCancel("acme", "0123 abcd"), "DELETE", "/admin/v1/tenants/acme/addons/0123%20abcd", ""},
      {RequestsList({}), "GET", "/admin/v1/quota-requests", ""},
      {RequestsList({"pending", "acme", "5", "qr_01", false}), "GET",
       "/admin/v1/quota-requests?state=pending&tenant=acme&limit=5&start_after=qr_01", ""},
      {RequestsApprove("qr_01", std::nullopt), "POST", "/admin/v1/quota-requests/qr_01/approve", "{}"},
      {RequestsApprove("qr 1", "ok"), "POST", "/admin/v1/quota-requests/qr%201/approve", R"({"comment":"ok"})"},
      {RequestsReject("qr_01", "no room"), "POST", "/admin/v1/quota-requests/qr_01/reject",
       R"({"comment":"no room"})"},
      {TenantsShow("a/b"), "GET", "/admin/v1/tenants/a%2Fb", ""},
      {TenantsDelete("acme", true).value(), "DELETE", "/admin/v1/tenants/acme", ""},
      {TenantsSuspend("acme"), "POST", "/admin/v1/tenants/acme/suspend", ""},
      {TenantsMoveTier("a b", "pooled"), "POST", "/admin/v1/tenants/a%20b/tier", R"({"tier":"pooled"})"},
      {TenantsResume("acme"), "POST", "/admin/v1/tenants/acme/resume", ""},
      {ApiKeysCreate("acme", "write"), "POST", "/admin/v1/tenants/acme/apikeys",
       R"({"role":"write"})"},
      {ApiKeysCreate("acme", "read", {"ci \"deploy\"", "2030-01-31T12:00:00Z"}), "POST",
       "/admin/v1/tenants/acme/apikeys",
       R"({"role":"read","name":"ci \"deploy\"","expires_at":"2030-01-31T12:00:00Z"})"},
      {ApiKeysCreate("acme", "read", {std::nullopt, "2030-01-31T12:00:00+01:00"}), "POST",
       "/admin/v1/tenants/acme/apikeys", R"({"role":"read","expires_at":"2030-01-31T12:00:00+01:00"})"},
      {ApiKeysList("acme"), "GET", "/admin/v1/tenants/acme/apikeys", ""},
      {ApiKeysRevoke("acme", "k 1"), "DELETE", "/admin/v1/tenants/acme/apikeys/k%201", ""},
      {QuotaShow("acme"), "GET", "/admin/v1/tenants/acme/quota", ""},
      {QuotaSet("acme", {"requests_per_sec=100", "weight=2"}).value(), "PUT",
       "/admin/v1/tenants/acme/quota", R"({"requests_per_sec":100,"weight":2})"},
      {QuotaHistory("acme"), "GET", "/admin/v1/tenants/acme/quota/history", ""},
      {QuotaRevert("acme", 3), "POST", "/admin/v1/tenants/acme/quota/revert", R"({"version":3})"},
      {PlansList(), "GET", "/admin/v1/plans", ""},
      {PlansShow("gold"), "GET", "/admin/v1/plans/gold", ""},
      {PlansSet("gold", {{"weight=3"}, {}, {"weight=9", "requests_per_sec=800"}}).value(), "PUT",
       "/admin/v1/plans/gold",
       R"({"defaults":{"weight":3},"max":{"weight":9,"requests_per_sec":800}})"},
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

TEST(QuotaCommands, SetWithMalformedAssignmentIsAUsageError) {
  Result<AdminCommand> command = QuotaSet("acme", {"weight=2", "burst_requests=lots"});
  ASSERT_FALSE(command.ok());
  EXPECT_EQ(ExitCodeFor(command.status()), kExitUsage);
  EXPECT_NE(command.status().message().find("'burst_requests=lots'"), std::string::npos);
}

TEST(PlanCommands, SetNeedsAGroupAndNamesTheBadOption) {
  EXPECT_FALSE(AddonsCreate("acme", {"weight"}, {"2030-01-01T00:00:00Z", std::nullopt, std::nullopt}).ok());
  Result<AdminCommand> empty = PlansSet("gold", {});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(ErrorLine(empty.status()), "error: nothing to set: give --default, --min or --max");
  Result<AdminCommand> bad = PlansSet("gold", {{"weight=1"}, {"weight"}, {}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(ExitCodeFor(bad.status()), kExitUsage);
  EXPECT_EQ(bad.status().message().rfind("--min: 'weight': no '='", 0), 0u)
      << bad.status().message();
}

// ------------------------------------------------------------- RunCommand

TEST(RequestCommands, RenderFieldsApproversAndFourEyes) {
  const Json page = Json::parse(R"({"requests":[{"id":"qr_0000000000000001","tenant":"acme","state":"pending",
    "fields":{"burst_requests":4000,"requests_per_sec":2000},"reason":"launch","expires_at":null,
    "approvals":[{"by":"operator:alice","at":"2026-12-06T16:05:00Z","comment":""}]}],"next":null})");
  const std::string table = RequestsList({}).render(page);
  EXPECT_NE(table.find("burst_requests=4000 requests_per_sec=2000"), std::string::npos) << table;
  EXPECT_NE(table.find("operator:alice"), std::string::npos) << table;
  EXPECT_NE(table.find("launch"), std::string::npos) << table;
  const std::string pending = RequestsApprove("qr_0000000000000001", std::nullopt).render(page["requests"][0]);
  EXPECT_NE(pending.find("another operator's approval applies it"), std::string::npos) << pending;
  Json approved = page["requests"][0];
  approved["state"] = "approved";
  approved["manifest_version"] = 2;
  const std::string done = RequestsApprove("qr_0000000000000001", std::nullopt).render(approved);
  EXPECT_EQ(done.find("another operator"), std::string::npos) << done;
  EXPECT_NE(done.find("manifest_version"), std::string::npos) << done;
}

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

// Answers with its canned responses in turn, recording the requests.
class ScriptedTransport final : public HttpTransport {
 public:
  explicit ScriptedTransport(std::vector<HttpResponse> answers) : answers_(std::move(answers)) {}
  Result<HttpResponse> Send(const HttpRequest& request) override {
    requests.push_back(request);
    if (next_ == answers_.size()) return Status::Unavailable("no more answers", "transport");
    return answers_[next_++];
  }
  std::vector<HttpRequest> requests;

 private:
  std::vector<HttpResponse> answers_;
  size_t next_ = 0;
};

TEST(PagedLists, ApiKeysListFollowsNextToTheLastPage) {
  ScriptedTransport transport({Answer(200, R"({"keys":[{"key_id":"a"},{"key_id":"b"}],"next":"b"})"),
                               Answer(200, R"({"keys":[{"key_id":"c"}],"next":"c"})"),
                               Answer(200, R"({"keys":[{"key_id":"d"}],"next":null})")});
  Result<std::string> out = RunCommand(ApiKeysList("acme"), transport, true);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const Json all = Json::parse(*out);
  ASSERT_EQ(all["keys"].size(), 4u);
  EXPECT_EQ(all["keys"][3]["key_id"], "d");
  EXPECT_TRUE(all["next"].is_null());
  ASSERT_EQ(transport.requests.size(), 3u);
  EXPECT_EQ(transport.requests[0].path, "/admin/v1/tenants/acme/apikeys");
  EXPECT_EQ(transport.requests[1].path, "/admin/v1/tenants/acme/apikeys?start_after=b");
  EXPECT_EQ(transport.requests[2].path, "/admin/v1/tenants/acme/apikeys?start_after=c");
}

TEST(PagedLists, TenantsListFollowsPagesOnlyWithAllKeepingTheFilters) {
  ScriptedTransport one({Answer(200, R"({"tenants":[{"id":"a"},{"id":"b"}],"next":"b"})")});
  Result<std::string> out = RunCommand(TenantsList({"2", std::nullopt, "free", std::nullopt, std::nullopt, false, std::nullopt}),
                                       one, false);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out,
            "ID  PLAN  STATE  CREATED_AT  KEYS  LOGICAL_BYTES\n"
            "a   -     -      -           -     -\n"
            "b   -     -      -           -     -\n"
            "(more: --start-after b, or --all)\n");
  ASSERT_EQ(one.requests.size(), 1u);
  EXPECT_EQ(one.requests[0].path, "/admin/v1/tenants?limit=2&plan=free");

  ScriptedTransport pages({Answer(200, R"({"tenants":[{"id":"a"},{"id":"b"}],"next":"b"})"),
                           Answer(200, R"({"tenants":[{"id":"c"}],"next":null})")});
  out = RunCommand(TenantsList({"2", "0", "free", std::nullopt, std::nullopt, true, std::nullopt}), pages, true);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const Json all = Json::parse(*out);
  ASSERT_EQ(all["tenants"].size(), 3u);
  EXPECT_TRUE(all["next"].is_null());
  ASSERT_EQ(pages.requests.size(), 2u);
  EXPECT_EQ(pages.requests[0].path, "/admin/v1/tenants?limit=2&plan=free&start_after=0");
  EXPECT_EQ(pages.requests[1].path, "/admin/v1/tenants?limit=2&plan=free&start_after=b");
}

TEST(PagedLists, KeysRotateAllRotatesTheTenantsOfEveryPage) {
  ScriptedTransport transport({Answer(200, R"({"tenants":[{"id":"a"}],"next":"a"})"),
                               Answer(200, R"({"tenants":[{"id":"b"}],"next":null})"),
                               Answer(200, R"({"rotated_to":2})"), Answer(200, R"({"rotated_to":3})")});
  Result<std::string> out = RunCommand(KeysRotateAll(), transport, true);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(transport.requests.size(), 4u);
  EXPECT_EQ(transport.requests[0].path, "/admin/v1/tenants?limit=1000");
  EXPECT_EQ(transport.requests[1].path, "/admin/v1/tenants?limit=1000&start_after=a");
  EXPECT_EQ(transport.requests[2].path, "/admin/v1/tenants/a/keys/rotate");
  EXPECT_EQ(transport.requests[3].path, "/admin/v1/tenants/b/keys/rotate");
  EXPECT_EQ(Json::parse(*out)["rotated"].size(), 2u);
}

TEST(PagedLists, QuotaHistoryFollowsANumericNext) {
  ScriptedTransport transport({Answer(200, R"({"versions":[{"version":1},{"version":2}],"next":2})"),
                               Answer(200, R"({"versions":[{"version":3}],"next":null})")});
  Result<std::string> out = RunCommand(QuotaHistory("acme"), transport, false);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_NE(out->find("\n3 "), std::string::npos) << *out;
  ASSERT_EQ(transport.requests.size(), 2u);
  EXPECT_EQ(transport.requests[1].path, "/admin/v1/tenants/acme/quota/history?start_after=2");
}

TEST(PagedLists, AFailedOrStuckPageFailsTheCommand) {
  ScriptedTransport failing({Answer(200, R"({"keys":[{"key_id":"a"}],"next":"a"})"),
                             Answer(404, kNotFoundProblem, "application/problem+json")});
  Result<std::string> out = RunCommand(ApiKeysList("acme"), failing, false);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(ErrorLine(out.status()), "error: 404 not_found: tenant 'x' does not exist");
  ScriptedTransport stuck({Answer(200, R"({"keys":[{"key_id":"a"}],"next":"a"})"),
                           Answer(200, R"({"keys":[{"key_id":"a"}],"next":"a"})")});
  out = RunCommand(ApiKeysList("acme"), stuck, false);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().reason(), "bad_answer");
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

TEST(CommandLine, ClusterTenantsTakesItsFiltersAndPaging) {
  ParsedArgs parsed = Parse({"--server", "http://h:1", "cluster", "tenants", "--node", "n2", "--prefix", "ac",
                             "--limit", "5", "--start-after", "acme", "--json"});
  ASSERT_TRUE(parsed.invocation) << parsed.output;
  EXPECT_TRUE(parsed.invocation->globals.json);
  EXPECT_EQ(parsed.invocation->command.request.method, "GET");
  EXPECT_EQ(parsed.invocation->command.request.path,
            "/admin/v1/cluster/tenants?node=n2&prefix=ac&limit=5&start_after=acme");
  EXPECT_FALSE(parsed.invocation->command.request.body);
  EXPECT_TRUE(parsed.invocation->command.request.authenticated);
  EXPECT_TRUE(parsed.invocation->command.follow_up == nullptr) << "one page without --all";
  ParsedArgs all = Parse({"--server", "http://h:1", "cluster", "tenants", "--all"});
  ASSERT_TRUE(all.invocation) << all.output;
  EXPECT_EQ(all.invocation->command.request.path, "/admin/v1/cluster/tenants");
  EXPECT_TRUE(all.invocation->command.follow_up != nullptr);
  EXPECT_FALSE(Parse({"--server", "http://h:1", "cluster", "tenants", "--node"}).invocation) << "--node needs a value";
  EXPECT_FALSE(Parse({"--server", "http://h:1", "cluster", "tenants", "extra"}).invocation);
}

TEST(PagedLists, ClusterTenantsFollowsPagesOnlyWithAllKeepingTheFilters) {
  ScriptedTransport one({Answer(200, R"({"tenants":[{"id":"a","node":"n1","tier":"pooled","state":"active","epoch":1},)"
                                     R"({"id":"b","node":"n2","tier":"dedicated","state":"creating","epoch":3}],"next":"b"})")});
  Result<std::string> out = RunCommand(ClusterTenants({std::nullopt, std::nullopt, "2", std::nullopt, false}), one, false);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out,
            "ID  NODE  TIER       STATE     EPOCH\n"
            "a   n1    pooled     active    1\n"
            "b   n2    dedicated  creating  3\n"
            "(more: --start-after b, or --all)\n");
  ScriptedTransport pages({Answer(200, R"({"tenants":[{"id":"a","node":"n2"}],"next":"a"})"),
                           Answer(200, R"({"tenants":[],"next":"q"})"),
                           Answer(200, R"({"tenants":[{"id":"z","node":"n2"}],"next":null})")});
  out = RunCommand(ClusterTenants({"n2", std::nullopt, "1", std::nullopt, true}), pages, true);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const Json all = Json::parse(*out);
  ASSERT_EQ(all["tenants"].size(), 2u) << "an empty page with a next is walked past";
  EXPECT_EQ(all["tenants"][1]["id"], "z");
  EXPECT_TRUE(all["next"].is_null());
  ASSERT_EQ(pages.requests.size(), 3u);
  EXPECT_EQ(pages.requests[0].path, "/admin/v1/cluster/tenants?node=n2&limit=1");
  EXPECT_EQ(pages.requests[1].path, "/admin/v1/cluster/tenants?node=n2&limit=1&start_after=a");
  EXPECT_EQ(pages.requests[2].path, "/admin/v1/cluster/tenants?node=n2&limit=1&start_after=q");
}

TEST(CommandLine, ApiKeyCreateTakesNameAndExpiry) {
  ParsedArgs parsed = Parse({"--server", "http://h:1", "apikeys", "create", "acme", "--role", "write", "--name",
                             "nightly <job>", "--expires-at", "2030-01-31T12:00:00Z"});
  ASSERT_TRUE(parsed.invocation) << parsed.output;
  EXPECT_EQ(parsed.invocation->command.request.body->dump(),
            R"({"role":"write","name":"nightly <job>","expires_at":"2030-01-31T12:00:00Z"})");
  ParsedArgs without = Parse({"--server", "http://h:1", "apikeys", "create", "acme", "--role", "write"});
  ASSERT_TRUE(without.invocation) << without.output;
  EXPECT_EQ(without.invocation->command.request.body->dump(), R"({"role":"write"})");
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
      {"--server", "http://h:1", "apikeys", "create", "a", "--role", "read", "--expires-at"},  // no value
      {"--server", "http://h:1", "--timeout", "0", "health"},
      {"--server", "http://h:1", "tenants", "delete", "acme"},  // no --yes
      {"--server", "http://h:1", "tenants", "frobnicate"},
      {"--server", "http://h:1", "quota", "set", "acme"},  // no FIELD=VALUE
      {"--server", "http://h:1", "quota", "set", "acme", "weight=x"},
      {"--server", "http://h:1", "quota", "set", "acme", "weight"},
      {"--server", "http://h:1", "quota", "revert", "acme"},  // no --version
      {"--server", "http://h:1", "quota", "revert", "acme", "--version", "0"},
      {"--server", "http://h:1", "quota", "revert", "acme", "--version", "x"},
      {"--server", "http://h:1", "plans", "set", "gold"},  // nothing to set
      {"--server", "http://h:1", "plans", "set", "gold", "--max", "weight"},
      {"--server", "http://h:1", "plans", "show"},
  };
  for (const auto& args : cases) {
    SCOPED_TRACE(args.size() > 2 ? args[2] + std::string(" ") + args.back() : args[0]);
    ParsedArgs parsed = Parse(args);
    EXPECT_FALSE(parsed.invocation);
    EXPECT_EQ(parsed.exit_code, kExitUsage);
    EXPECT_EQ(parsed.output.rfind("error: ", 0), 0u) << parsed.output;
    EXPECT_EQ(parsed.output.find('\n'), parsed.output.size() - 1) << parsed.output;
  }
}

TEST(CommandLine, QuotaSetTakesEveryAssignment) {
  ParsedArgs parsed = Parse({"--server", "http://h:1", "quota", "set", "acme",
                             "requests_per_sec=100", "burst_requests=5", "--json"});
  ASSERT_TRUE(parsed.invocation) << parsed.output;
  EXPECT_TRUE(parsed.invocation->globals.json);
  EXPECT_EQ(parsed.invocation->command.request.method, "PUT");
  EXPECT_EQ(parsed.invocation->command.request.body->dump(),
            R"({"requests_per_sec":100,"burst_requests":5})");
}

TEST(CommandLine, QuotaRevertTakesTheVersion) {
  ParsedArgs parsed =
      Parse({"--server", "http://h:1", "quota", "revert", "acme", "--version", "2"});
  ASSERT_TRUE(parsed.invocation) << parsed.output;
  EXPECT_EQ(parsed.invocation->command.request.body->dump(), R"({"version":2})");
}

TEST(CommandLine, PlansSetOptionsRepeat) {
  ParsedArgs parsed =
      Parse({"--server", "http://h:1", "plans", "set", "--max", "weight=9", "gold", "--default",
             "weight=3", "--max", "requests_per_sec=800"});
  ASSERT_TRUE(parsed.invocation) << parsed.output;
  EXPECT_EQ(parsed.invocation->command.request.path, "/admin/v1/plans/gold");
  EXPECT_EQ(parsed.invocation->command.request.body->dump(),
            R"({"defaults":{"weight":3},"max":{"weight":9,"requests_per_sec":800}})");
}

TEST(CommandLine, BackupCommandsBuildTheDocumentedRequests) {
  TempFile pass("a long enough passphrase\n");
  TempFile handover(R"({"tenant":"acme","handover":{"format":"tenantkv-handover/1","tenant":"acme"}})");
  struct Case {
    std::vector<std::string> args;
    const char* path;
    const char* body;
  };
  const Case cases[] = {
      {{"export", "acme", "--out", "/srv/e"}, "/admin/v1/tenants/acme/export", R"({"dir":"/srv/e"})"},
      {{"export", "acme", "--out", "/srv/e", "--verify"}, "/admin/v1/tenants/acme/export",
       R"({"dir":"/srv/e","verify":true})"},
      {{"export", "--verify", "/srv/e"}, "/admin/v1/tenants/import", R"({"dir":"/srv/e","dry_run":true})"},
      {{"import", "/srv/e", "--as", "acme-2", "--plan", "free"}, "/admin/v1/tenants/import",
       R"({"dir":"/srv/e","id":"acme-2","plan":"free"})"},
      {{"import", "/srv/e", "--handover", handover.path(), "--passphrase-file", pass.path()},
       "/admin/v1/tenants/import",
       R"({"dir":"/srv/e","handover":{"format":"tenantkv-handover/1","tenant":"acme"},"passphrase":"a long enough passphrase"})"},
      {{"handover", "acme", "--passphrase-file", pass.path()}, "/admin/v1/tenants/acme/handover",
       R"({"passphrase":"a long enough passphrase"})"},
      {{"backup", "/srv/b"}, "/admin/v1/backup", R"({"dir":"/srv/b"})"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.args[0] + " " + c.args[1]);
    std::vector<const char*> argv = {"--server", "http://h:1"};
    for (const auto& a : c.args) argv.push_back(a.c_str());
    ParsedArgs parsed = Parse(argv);
    ASSERT_TRUE(parsed.invocation) << parsed.output;
    EXPECT_EQ(parsed.invocation->command.request.method, "POST");
    EXPECT_EQ(parsed.invocation->command.request.path, c.path);
    EXPECT_EQ(parsed.invocation->command.request.body->dump(), c.body);
  }
}

TEST(CommandLine, BackupCommandUsageErrors) {
  TempFile pass("a long enough passphrase");
  TempFile empty("");
  TempFile not_json("nope");
  const std::vector<std::vector<std::string>> cases = {
      {"export", "acme"},                                             // neither --out nor --verify
      {"export", "acme", "--out", "/e", "--handover", "/h", "--passphrase-file", pass.path()},
      {"import", "/e", "--handover", not_json.path(), "--passphrase-file", pass.path()},
      {"import", "/e", "--handover", not_json.path()},                // no passphrase file
      {"handover", "acme"},                                           // no --passphrase-file
      {"handover", "acme", "--passphrase-file", empty.path()},
      {"handover", "acme", "--passphrase-file", "/nonexistent/pass"},
      {"backup"},
  };
  for (const auto& args : cases) {
    SCOPED_TRACE(args[0] + " " + args.back());
    std::vector<const char*> argv = {"--server", "http://h:1"};
    for (const auto& a : args) argv.push_back(a.c_str());
    ParsedArgs parsed = Parse(argv);
    EXPECT_FALSE(parsed.invocation);
    EXPECT_EQ(parsed.exit_code, kExitUsage) << parsed.output;
  }
}

TEST(BackupView, RendersExportImportAndBackupAnswers) {
  Json exported = {{"tenant", "acme"}, {"dir", "/e"}, {"export_id", "ab"}, {"entries", {{"keys", 3}, {"logical_bytes", 30}}},
                   {"files", 1}, {"bytes", 900}, {"verified", true}};
  EXPECT_EQ(ExportTenant("acme", "/e", true).render(exported),
            "exported acme to /e (export ab): 3 keys, 30 logical bytes, 1 files, 900 bytes on disk; verified\n");
  Json dry = {{"source_tenant", "acme"}, {"export_id", "ab"}, {"entries", {{"keys", 3}, {"logical_bytes", 30}}},
              {"dry_run", true}};
  EXPECT_EQ(VerifyExport("/e", std::nullopt, "").render(dry),
            "export ab of acme is complete and opens: 3 keys, 30 logical bytes\n");
  EXPECT_EQ(BackupNode("/b").render(Json{{"backup_id", 2}, {"dir", "/b"}, {"files", 4}, {"bytes", 10}}),
            "backup 2 in /b: 4 files, 10 bytes (master.key and operator.token are not in it)\n");
  EXPECT_EQ(Handover("acme", "x").render(Json{{"handover", {{"format", "f"}}}}), "{\"format\":\"f\"}\n");
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

// ---------------------------------------------------------------- audit

TEST(AuditCommand, ListBuildsTheQueryAndRendersAPage) {
  ParsedArgs parsed = Parse({"--server", "http://h:1", "audit", "--tenant", "acme", "--since", "7", "--limit", "2"});
  ASSERT_TRUE(parsed.invocation) << parsed.output;
  EXPECT_EQ(parsed.invocation->command.request.method, "GET");
  EXPECT_EQ(parsed.invocation->command.request.path, "/admin/v1/audit?tenant=acme&since=7&limit=2");
  EXPECT_EQ(Parse({"--server", "http://h:1", "audit"}).invocation->command.request.path, "/admin/v1/audit");

  FakeTransport transport(Answer(200, R"({"entries":[{"seq":8,"time":"2026-11-29T07:00:00.000Z",)"
                                      R"("actor":"operator","action":"tenant.suspend","tenant":"acme",)"
                                      R"("details":{},"prev_hash":"a","hash":"b"}],"next":8})"));
  Result<std::string> out = RunCommand(parsed.invocation->command, transport, false);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out,
            "SEQ  TIME                      ACTOR     ACTION          TENANT  DETAILS\n"
            "8    2026-11-29T07:00:00.000Z  operator  tenant.suspend  acme    {}\n"
            "more: --since 8\n");
  FakeTransport empty(Answer(200, R"({"entries":[],"next":null})"));
  out = RunCommand(ListAudit({}), empty, false);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "no audit entries\n");
}

TEST(AuditCommand, VerifyReportsTheHeadOrFailsWithOneLine) {
  ParsedArgs parsed = Parse({"--server", "http://h:1", "audit", "--verify"});
  ASSERT_TRUE(parsed.invocation) << parsed.output;
  EXPECT_EQ(parsed.invocation->command.request.path, "/admin/v1/audit/verify");

  FakeTransport good(Answer(200, R"({"ok":true,"entries":3,"head":"abc"})"));
  Result<std::string> out = RunCommand(VerifyAudit(), good, false);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "audit chain ok: 3 entries, head abc\n");

  for (bool json_output : {false, true}) {
    FakeTransport bad(Answer(200, R"({"ok":false,"entries":1,"broken_at":2,"reason":"hash_mismatch"})"));
    out = RunCommand(VerifyAudit(), bad, json_output);
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(ExitCodeFor(out.status()), kExitFailure);
    EXPECT_EQ(ErrorLine(out.status()), "error: audit chain broken at seq 2: hash_mismatch");
  }
}

TEST(AuditCommand, VerifyTakesNoFilters) {
  ParsedArgs parsed = Parse({"--server", "http://h:1", "audit", "--verify", "--tenant", "acme"});
  EXPECT_FALSE(parsed.invocation);
  EXPECT_EQ(parsed.exit_code, kExitUsage);
}

// ---------------------------------------------------------------- master-key

TEST(MasterKeyCommand, RotateAndStatusBuildTheirRequestsAndRender) {
  ParsedArgs rotate = Parse({"--server", "http://h:1", "master-key", "rotate"});
  ASSERT_TRUE(rotate.invocation) << rotate.output;
  EXPECT_EQ(rotate.invocation->command.request.method, "POST");
  EXPECT_EQ(rotate.invocation->command.request.path, "/admin/v1/master-key/rotate");
  ParsedArgs status = Parse({"--server", "http://h:1", "master-key", "status"});
  ASSERT_TRUE(status.invocation) << status.output;
  EXPECT_EQ(status.invocation->command.request.method, "GET");
  EXPECT_EQ(status.invocation->command.request.path, "/admin/v1/master-key");
  EXPECT_EQ(Parse({"--server", "http://h:1", "master-key"}).exit_code, kExitUsage);

  FakeTransport rotated(Answer(200, R"({"from":1,"to":2,"tenants_rewrapped":3,"keys_rewrapped":4,)"
                                    R"("leftovers_destroyed":0,"retired":[1],"resumed":false,"duration_ms":12})"));
  Result<std::string> out = RunCommand(MasterKeyRotate(), rotated, false);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "master key rotated: v1 -> v2, 4 keys of 3 tenants rewrapped in 12 ms; retired v1\n");

  FakeTransport shown(Answer(200, R"({"provider":"file:/d/master.key","current":2,)"
                                  R"("versions":[{"version":2,"state":"current","wrapped_keys":4}],)"
                                  R"("rotation_running":false,"last_rotation":{"from":1,"to":2,"state":"done",)"
                                  R"("started_at":"2026-11-29T07:00:00.000Z","finished_at":"2026-11-29T07:00:01.000Z"}})"));
  out = RunCommand(MasterKeyStatus(), shown, false);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out,
            "provider: file:/d/master.key\n"
            "current:  v2\n"
            "VERSION  STATE    WRAPPED KEYS\n"
            "2        current  4\n"
            "last rotation: v1 -> v2, done, started 2026-11-29T07:00:00.000Z, finished 2026-11-29T07:00:01.000Z\n");
  FakeTransport busy(Answer(409, R"({"type":"x","title":"Conflict","status":409,"detail":"a master-key rotation is already running","code":"rotation_in_progress"})",
                           "application/problem+json"));
  out = RunCommand(MasterKeyRotate(), busy, true);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(ExitCodeFor(out.status()), kExitFailure);
}

}  // namespace
}  // namespace tenantkv::tools
