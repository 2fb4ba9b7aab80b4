// Master-key rotation over HTTP, with the file provider and with a PKCS#11
// token (SoftHSM2): online while writes go on, audited, operator only, and
// everything still opens after a restart.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/testing/softhsm_token.h"
#include "tests/testing/test_server.h"

namespace tenantkv::testing {
namespace {

using nlohmann::json;

json JsonOf(const httplib::Result& r, int expect) {
  EXPECT_TRUE(r);
  if (!r) return {};
  EXPECT_EQ(r->status, expect) << r->body;
  return json::parse(r->body, nullptr, false);
}

// Creates tenants t0..t(n-1), each with a write key and `values` values;
// returns the tokens.
std::vector<std::string> Populate(TestServer& s, int n, int values) {
  std::vector<std::string> tokens;
  for (int i = 0; i < n; ++i) {
    const std::string id = "t" + std::to_string(i);
    s.CreateTenant(id);
    tokens.push_back(s.CreateKey(id, "write"));
    for (int k = 0; k < values; ++k) {
      auto r = s.Put(KvPath("k" + std::to_string(k)), id + "-" + std::to_string(k), tokens.back());
      EXPECT_TRUE(r && r->status == 201);
    }
  }
  return tokens;
}

void ExpectValues(TestServer& s, const std::vector<std::string>& tokens, int values) {
  for (size_t i = 0; i < tokens.size(); ++i) {
    for (int k = 0; k < values; ++k) {
      auto r = s.Get(KvPath("k" + std::to_string(k)), tokens[i]);
      ASSERT_TRUE(r);
      ASSERT_EQ(r->status, 200) << "t" << i << " k" << k << ": " << r->body;
      EXPECT_EQ(r->body, "t" + std::to_string(i) + "-" + std::to_string(k));
    }
  }
}

// Rotates while one tenant keeps writing; checks the answer and that no
// write failed.
json RotateUnderLoad(TestServer& s, const std::string& writer_token) {
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, writes{0};
  std::thread writer([&] {
    auto c = s.Client();
    c->set_bearer_token_auth(writer_token);
    for (int i = 0; !stop || i < 20; ++i) {
      auto r = c->Put(KvPath("live" + std::to_string(i % 50)), "v" + std::to_string(i), "application/octet-stream");
      if (r && r->status == 429) {
        // The tenant's own rate quota (a slow rotation on a loaded machine
        // outlasts its burst), not the rotation: wait and go on.
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      if (!r || (r->status != 201 && r->status != 204)) ++failures;
      ++writes;
    }
  });
  json out = JsonOf(s.Post("/admin/v1/master-key/rotate", "", s.operator_token()), 200);
  stop = true;
  writer.join();
  EXPECT_EQ(failures.load(), 0) << "of " << writes.load() << " writes during the rotation";
  return out;
}

TEST(MasterKeyApi, RotatesOnlineAuditsAndSurvivesARestart) {
  TestServer s;
  s.Start();
  const std::string op = s.operator_token();
  json before = JsonOf(s.Get("/admin/v1/master-key", op), 200);
  EXPECT_EQ(before["current"], 1);
  EXPECT_TRUE(before["last_rotation"].is_null());
  EXPECT_EQ(before["provider"].get<std::string>().rfind("file:", 0), 0u);

  auto tokens = Populate(s, 5, 10);
  json r = RotateUnderLoad(s, tokens[0]);
  EXPECT_EQ(r["from"], 1);
  EXPECT_EQ(r["to"], 2);
  EXPECT_EQ(r["tenants_rewrapped"], 5);
  EXPECT_EQ(r["keys_rewrapped"], 5);
  EXPECT_EQ(r["retired"], json::array({1}));
  EXPECT_TRUE(r["duration_ms"].is_number_integer());

  json after = JsonOf(s.Get("/admin/v1/master-key", op), 200);
  EXPECT_EQ(after["current"], 2);
  ASSERT_EQ(after["versions"].size(), 1u) << after.dump();
  EXPECT_EQ(after["versions"][0]["version"], 2);
  EXPECT_EQ(after["versions"][0]["wrapped_keys"], 5);
  EXPECT_EQ(after["last_rotation"]["state"], "done");
  EXPECT_FALSE(after["rotation_running"].get<bool>());

  json audit = JsonOf(s.Get("/admin/v1/audit", op), 200);
  std::vector<std::string> actions;
  for (const auto& e : audit["entries"]) actions.push_back(e["action"].get<std::string>());
  EXPECT_NE(std::find(actions.begin(), actions.end(), "master_key.rotate"), actions.end());
  EXPECT_NE(std::find(actions.begin(), actions.end(), "master_key.retire"), actions.end());

  // The key file holds version 2 only.
  std::ifstream in(s.data_dir() + "/master.key");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str().find("\nkey 1 "), std::string::npos);
  EXPECT_NE(text.str().find("\nkey 2 "), std::string::npos);

  ASSERT_EQ(s.Terminate(), 0);
  s.Start();
  ExpectValues(s, tokens, 10);
}

TEST(MasterKeyApi, OnlyTheOperatorMayRotateOrLook) {
  TestServer s;
  s.Start();
  s.CreateTenant("acme");
  const std::string admin = s.CreateKey("acme", "admin");
  const std::string writer = s.CreateKey("acme", "write");
  for (const std::string& token : {admin, writer}) {
    auto r = s.Post("/admin/v1/master-key/rotate", "", token);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/problem+json");
    r = s.Get("/admin/v1/master-key", token);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << r->body;
  }
  auto r = s.Post("/admin/v1/master-key/rotate", "", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  json st = JsonOf(s.Get("/admin/v1/master-key", s.operator_token()), 200);
  EXPECT_EQ(st["current"], 1) << "nothing rotated";
}

TEST(MasterKeyApi, EndToEndOnAPkcs11Token) {
  SoftHsmToken token("tkv-server");
  ASSERT_TRUE(token.ready());
  TestServer s({"--key-provider", "pkcs11", "--pkcs11-module", SoftHsmToken::ModulePath(),
                "--pkcs11-token-label", token.label(), "--pkcs11-pin-file", token.pin_file()});
  s.Start();
  const std::string op = s.operator_token();
  json st = JsonOf(s.Get("/admin/v1/master-key", op), 200);
  EXPECT_EQ(st["provider"].get<std::string>().rfind("pkcs11:", 0), 0u) << st.dump();
  EXPECT_EQ(st["current"], 1);
  auto tokens = Populate(s, 3, 5);
  json r = RotateUnderLoad(s, tokens[1]);
  EXPECT_EQ(r["from"], 1);
  EXPECT_EQ(r["to"], 2);
  EXPECT_EQ(r["keys_rewrapped"], 3);
  EXPECT_EQ(r["retired"], json::array({1}));
  ExpectValues(s, tokens, 5);

  ASSERT_EQ(s.Terminate(), 0);
  s.Start();  // the keys come back from the token
  ExpectValues(s, tokens, 5);
  st = JsonOf(s.Get("/admin/v1/master-key", op), 200);
  EXPECT_EQ(st["current"], 2);
  ASSERT_EQ(st["versions"].size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(s.data_dir() + "/master.key")) << "no key file with an HSM";
  EXPECT_EQ(s.ReadLog().find("246810"), std::string::npos) << "the PIN is never logged";
}

}  // namespace
}  // namespace tenantkv::testing
