// The PKCS#11 key provider against a real token (SoftHSM2, set up by the
// test): keys made and kept in the token, wraps that round-trip and fail
// for another context or version, rotation, retirement, reopening,
// recovery of a session lost under the provider, the mapping of token
// failures, and the refusal of key objects that could leave the token.
#include "crypto/keys/pkcs11/pkcs11_key_provider.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <p11-kit/pkcs11.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <thread>

#include "crypto/aead.h"
#include "tests/testing/softhsm_token.h"

namespace tenantkv::crypto {
namespace {

using testing::SoftHsmToken;

Pkcs11Options OptionsFor(const SoftHsmToken& token) {
  Pkcs11Options o;
  o.module_path = SoftHsmToken::ModulePath();
  o.token_label = token.label();
  o.pin_file = token.pin_file();
  return o;
}

SecretBytes NewKey() { return SecretBytes::Random(kAeadKeyBytes).value(); }

// Makes an AES key object labelled `label` in the token with the given
// CKA_SENSITIVE and CKA_EXTRACTABLE, through the module directly (as
// another tool would). Runs while no provider holds the module.
::testing::AssertionResult MakeAesKey(const SoftHsmToken& token, const std::string& label, bool sensitive,
                                      bool extractable) {
  void* lib = ::dlopen(SoftHsmToken::ModulePath().c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) return ::testing::AssertionFailure() << "dlopen failed";
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(lib, "C_GetFunctionList"));
  CK_FUNCTION_LIST_PTR fn = nullptr;
  ::testing::AssertionResult out = ::testing::AssertionSuccess();
  if (get_list == nullptr || get_list(&fn) != CKR_OK || fn->C_Initialize(nullptr) != CKR_OK) {
    ::dlclose(lib);
    return ::testing::AssertionFailure() << "the module did not initialise";
  }
  CK_SLOT_ID slots[16];
  CK_ULONG n = 16;
  CK_SESSION_HANDLE session = 0;
  bool found = false;
  if (fn->C_GetSlotList(CK_TRUE, slots, &n) == CKR_OK) {
    for (CK_ULONG i = 0; i < n && !found; ++i) {
      CK_TOKEN_INFO info{};
      if (fn->C_GetTokenInfo(slots[i], &info) != CKR_OK) continue;
      std::string l(reinterpret_cast<const char*>(info.label), sizeof(info.label));
      l.erase(l.find_last_not_of(' ') + 1);
      found = l == token.label() &&
              fn->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session) == CKR_OK;
    }
  }
  std::string pin;
  std::getline(std::ifstream(token.pin_file()), pin);
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE type = CKK_AES;
  CK_ULONG len = 32;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  CK_BBOOL sens = sensitive ? CK_TRUE : CK_FALSE, extr = extractable ? CK_TRUE : CK_FALSE;
  CK_ATTRIBUTE tmpl[] = {
      {CKA_CLASS, &cls, sizeof(cls)},         {CKA_KEY_TYPE, &type, sizeof(type)},
      {CKA_VALUE_LEN, &len, sizeof(len)},     {CKA_TOKEN, &yes, sizeof(yes)},
      {CKA_PRIVATE, &yes, sizeof(yes)},       {CKA_SENSITIVE, &sens, sizeof(sens)},
      {CKA_EXTRACTABLE, &extr, sizeof(extr)}, {CKA_ENCRYPT, &yes, sizeof(yes)},
      {CKA_DECRYPT, &yes, sizeof(yes)},       {CKA_WRAP, &no, sizeof(no)},
      {CKA_LABEL, const_cast<char*>(label.data()), label.size()},
  };
  CK_MECHANISM mech = {CKM_AES_KEY_GEN, nullptr, 0};
  CK_OBJECT_HANDLE key = 0;
  if (!found) {
    out = ::testing::AssertionFailure() << "no session to token " << token.label();
  } else if (fn->C_Login(session, CKU_USER, reinterpret_cast<CK_UTF8CHAR_PTR>(pin.data()), pin.size()) != CKR_OK) {
    out = ::testing::AssertionFailure() << "login failed";
  } else if (CK_RV rv = fn->C_GenerateKey(session, &mech, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), &key);
             rv != CKR_OK) {
    out = ::testing::AssertionFailure() << "C_GenerateKey: " << rv;
  }
  if (found) fn->C_CloseSession(session);
  fn->C_Finalize(nullptr);
  ::dlclose(lib);
  return out;
}

// The options with a log that keeps its lines.
struct LoggedOptions {
  Pkcs11Options options;
  std::shared_ptr<std::vector<std::string>> lines = std::make_shared<std::vector<std::string>>();
  explicit LoggedOptions(const SoftHsmToken& token) : options(OptionsFor(token)) {
    options.log = [lines = lines](const std::string& line) { lines->push_back(line); };
  }
  size_t Count(const std::string& needle) const {
    return static_cast<size_t>(std::count_if(lines->begin(), lines->end(), [&](const std::string& l) {
      return l.find(needle) != std::string::npos;
    }));
  }
  bool Mentions(const std::string& needle) const { return Count(needle) > 0; }
};

TEST(Pkcs11KeyProvider, CreatesAKeyAndWrapsRoundTrip) {
  SoftHsmToken token("tkv-roundtrip");
  ASSERT_TRUE(token.ready());
  auto p = Pkcs11KeyProvider::Open(OptionsFor(token));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)->CurrentVersion(), 1u);
  EXPECT_EQ((*p)->Versions(), std::vector<uint32_t>{1});
  EXPECT_NE((*p)->Describe().find("tkv-roundtrip"), std::string::npos);

  const SecretBytes data_key = NewKey();
  auto a = (*p)->Wrap(1, "tenant=acme;dkey=1;master=1", data_key);
  auto b = (*p)->Wrap(1, "tenant=acme;dkey=1;master=1", data_key);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().ToString();
  EXPECT_NE(*a, *b) << "a fresh IV per wrap";
  EXPECT_EQ(a->size(), 1 + 12 + kAeadKeyBytes + 16);
  auto back = (*p)->Unwrap(1, "tenant=acme;dkey=1;master=1", *a);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->Equals(data_key));
}

TEST(Pkcs11KeyProvider, WrongContextVersionOrTamperingFails) {
  SoftHsmToken token("tkv-wrong");
  ASSERT_TRUE(token.ready());
  auto p = Pkcs11KeyProvider::Open(OptionsFor(token));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_TRUE((*p)->AddVersion().ok());
  const std::string wrapped = (*p)->Wrap(2, "tenant=acme", NewKey()).value();
  std::string flipped = wrapped;
  flipped[20] ^= 0x01;
  struct Case {
    const char* name;
    uint32_t version;
    std::string context;
    std::string blob;
  };
  for (const Case& c : std::vector<Case>{{"other context", 2, "tenant=evil", wrapped},
                                         {"other version", 1, "tenant=acme", wrapped},
                                         {"flipped byte", 2, "tenant=acme", flipped},
                                         {"truncated", 2, "tenant=acme", wrapped.substr(0, 20)}}) {
    SCOPED_TRACE(c.name);
    auto r = (*p)->Unwrap(c.version, c.context, c.blob);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason(), "unwrap_failed") << r.status().ToString();
  }
  EXPECT_EQ((*p)->Unwrap(9, "tenant=acme", wrapped).status().code(), Code::kNotFound);
}

TEST(Pkcs11KeyProvider, RotateRetireAndReopen) {
  SoftHsmToken token("tkv-rotate");
  ASSERT_TRUE(token.ready());
  const SecretBytes data_key = NewKey();
  std::string under1, under2;
  {
    auto p = Pkcs11KeyProvider::Open(OptionsFor(token));
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    under1 = (*p)->Wrap(1, "ctx", data_key).value();
    auto v = (*p)->AddVersion();
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_EQ(*v, 2u);
    EXPECT_EQ((*p)->CurrentVersion(), 2u);
    under2 = (*p)->Wrap(2, "ctx", data_key).value();
    EXPECT_EQ((*p)->Retire(2).reason(), "current_master_key");
  }
  {
    // Reopened: both versions are found in the token by label.
    Pkcs11Options o = OptionsFor(token);
    o.create_if_missing = false;
    auto p = Pkcs11KeyProvider::Open(o);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ((*p)->Versions(), (std::vector<uint32_t>{1, 2}));
    EXPECT_TRUE((*p)->Unwrap(1, "ctx", under1)->Equals(data_key));
    EXPECT_TRUE((*p)->Unwrap(2, "ctx", under2)->Equals(data_key));
    ASSERT_TRUE((*p)->Retire(1).ok());
    EXPECT_EQ((*p)->Unwrap(1, "ctx", under1).status().code(), Code::kNotFound);
  }
  auto p = Pkcs11KeyProvider::Open(OptionsFor(token));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)->Versions(), std::vector<uint32_t>{2}) << "the retired key is gone from the token";
  EXPECT_TRUE((*p)->Unwrap(2, "ctx", under2)->Equals(data_key));
  EXPECT_EQ((*p)->AddVersion().value(), 3u);
}

TEST(Pkcs11KeyProvider, RefusesBadConfiguration) {
  SoftHsmToken token("tkv-config");
  ASSERT_TRUE(token.ready());
  {
    Pkcs11Options o = OptionsFor(token);
    o.token_label = "no-such-token";
    EXPECT_EQ(Pkcs11KeyProvider::Open(o).status().reason(), "pkcs11_config");
  }
  {
    Pkcs11Options o = OptionsFor(token);
    o.module_path = token.dir() + "/not-a-module.so";
    EXPECT_EQ(Pkcs11KeyProvider::Open(o).status().reason(), "pkcs11_config");
  }
  {
    ::chmod(token.pin_file().c_str(), 0644);
    auto r = Pkcs11KeyProvider::Open(OptionsFor(token));
    EXPECT_EQ(r.status().reason(), "insecure_pin_file");
    ::chmod(token.pin_file().c_str(), 0600);
  }
  {
    const std::string wrong = token.dir() + "/wrong.pin";
    std::ofstream(wrong) << "000000\n";
    ::chmod(wrong.c_str(), 0600);
    Pkcs11Options o = OptionsFor(token);
    o.pin_file = wrong;
    auto r = Pkcs11KeyProvider::Open(o);
    EXPECT_EQ(r.status().reason(), "pkcs11_login");
    EXPECT_EQ(r.status().ToString().find("000000"), std::string::npos) << "the PIN is never in a message";
  }
  {
    Pkcs11Options o = OptionsFor(token);
    o.create_if_missing = false;
    EXPECT_EQ(Pkcs11KeyProvider::Open(o).status().reason(), "master_key_not_found");
  }
}

TEST(Pkcs11KeyProvider, RecoversASessionLostUnderIt) {
  SoftHsmToken token("tkv-recover");
  ASSERT_TRUE(token.ready());
  LoggedOptions o(token);
  auto p = Pkcs11KeyProvider::Open(o.options);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const SecretBytes data_key = NewKey();
  const std::string before = (*p)->Wrap(1, "ctx", data_key).value();
  struct Case {
    const char* name;
    std::function<void(Pkcs11KeyProvider&)> lose;
  };
  for (const Case& c : std::vector<Case>{
           {"session closed", [](Pkcs11KeyProvider& k) { k.CloseSessionForTest(); }},
           {"logged out", [](Pkcs11KeyProvider& k) { k.LogoutForTest(); }},
           {"all sessions of the slot closed", [](Pkcs11KeyProvider& k) { k.CloseAllSessionsForTest(); }}}) {
    SCOPED_TRACE(c.name);
    c.lose(**p);
    auto wrapped = (*p)->Wrap(1, "ctx", data_key);
    ASSERT_TRUE(wrapped.ok()) << wrapped.status().ToString();
    c.lose(**p);
    auto back = (*p)->Unwrap(1, "ctx", before);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_TRUE(back->Equals(data_key));
    EXPECT_TRUE((*p)->Unwrap(1, "ctx", *wrapped)->Equals(data_key));
  }
  EXPECT_EQ(o.Count("session reopened"), 6u);
  for (const std::string& line : *o.lines) EXPECT_EQ(line.find("246810"), std::string::npos) << line;
}

TEST(Pkcs11KeyProvider, OneThreadReopensForAll) {
  SoftHsmToken token("tkv-threads");
  ASSERT_TRUE(token.ready());
  LoggedOptions o(token);
  auto p = Pkcs11KeyProvider::Open(o.options);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const SecretBytes data_key = NewKey();
  const std::string wrapped = (*p)->Wrap(1, "ctx", data_key).value();
  (*p)->CloseSessionForTest();
  constexpr int kThreads = 8;
  std::vector<Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto r = (*p)->Unwrap(1, "ctx", wrapped);
      results[i] = r.ok() && r->Equals(data_key) ? Status::Ok() : r.status();
    });
  }
  for (auto& t : threads) t.join();
  for (const Status& s : results) EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(o.Count("session reopened"), 1u) << "the threads that waited use the new session";
}

TEST(Pkcs11KeyProvider, SessionLossCodesAreRecovered) {
  SoftHsmToken token("tkv-lostcodes");
  ASSERT_TRUE(token.ready());
  LoggedOptions o(token);
  auto p = Pkcs11KeyProvider::Open(o.options);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const SecretBytes data_key = NewKey();
  const std::string wrapped = (*p)->Wrap(1, "ctx", data_key).value();
  for (CK_RV rv : {CKR_SESSION_HANDLE_INVALID, CKR_DEVICE_REMOVED, CKR_USER_NOT_LOGGED_IN, CKR_SESSION_CLOSED,
                   CKR_TOKEN_NOT_PRESENT}) {
    SCOPED_TRACE(rv);
    (*p)->InjectFailureForTest(rv, 1);
    auto w = (*p)->Wrap(1, "ctx", data_key);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    (*p)->InjectFailureForTest(rv, 1);
    auto u = (*p)->Unwrap(1, "ctx", wrapped);
    ASSERT_TRUE(u.ok()) << u.status().ToString();
    EXPECT_TRUE(u->Equals(data_key));
  }
  EXPECT_EQ(o.Count("session reopened"), 10u);
  {
    // The token is back at the second try (the injected count covers the
    // lost operation and one C_OpenSession).
    (*p)->InjectFailureForTest(CKR_TOKEN_NOT_PRESENT, 2);
    auto u = (*p)->Unwrap(1, "ctx", wrapped);
    ASSERT_TRUE(u.ok()) << u.status().ToString();
    EXPECT_EQ(o.Count("reopening the session failed (attempt 1 of 3)"), 1u);
    EXPECT_EQ(o.Count("session reopened and logged in (attempt 2 of 3)"), 1u);
  }
  {
    // The token stays away: three tries, each logged, then key_unavailable;
    // the next operation tries again and finds it back.
    (*p)->InjectFailureForTest(CKR_TOKEN_NOT_PRESENT, 4);
    auto u = (*p)->Unwrap(1, "ctx", wrapped);
    EXPECT_EQ(u.status().code(), Code::kUnavailable) << u.status().ToString();
    EXPECT_EQ(u.status().reason(), "key_unavailable");
    EXPECT_EQ(o.Count("reopening the session failed (attempt 3 of 3)"), 1u);
    auto again = (*p)->Unwrap(1, "ctx", wrapped);
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_TRUE(again->Equals(data_key));
  }
  for (const std::string& line : *o.lines) EXPECT_EQ(line.find("246810"), std::string::npos) << line;
}

TEST(Pkcs11KeyProvider, TokenFailuresAreKeyUnavailableNotUnwrapFailed) {
  SoftHsmToken token("tkv-general");
  ASSERT_TRUE(token.ready());
  LoggedOptions o(token);
  auto p = Pkcs11KeyProvider::Open(o.options);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const SecretBytes data_key = NewKey();
  const std::string wrapped = (*p)->Wrap(1, "ctx", data_key).value();
  for (CK_RV rv : {CKR_GENERAL_ERROR, CKR_DEVICE_ERROR, CKR_FUNCTION_FAILED, CKR_DEVICE_MEMORY, CKR_HOST_MEMORY,
                   CKR_DATA_INVALID}) {
    SCOPED_TRACE(rv);
    (*p)->InjectFailureForTest(rv, 1);
    auto w = (*p)->Wrap(1, "ctx", data_key);
    EXPECT_EQ(w.status().code(), Code::kUnavailable) << w.status().ToString();
    EXPECT_EQ(w.status().reason(), "key_unavailable");
    // The device keeps failing: the unwrap and the round trip that would
    // tell a refused blob from a failing token both fail.
    (*p)->InjectFailureForTest(rv, 2);
    auto u = (*p)->Unwrap(1, "ctx", wrapped);
    EXPECT_EQ(u.status().code(), Code::kUnavailable) << u.status().ToString();
    EXPECT_EQ(u.status().reason(), "key_unavailable");
  }
  // Only a blob that does not open is unwrap_failed: the token says so, or
  // (SoftHSM2 reports a GCM tag failure as CKR_GENERAL_ERROR) it gives a
  // generic code while it still works.
  for (CK_RV rv : {CKR_ENCRYPTED_DATA_INVALID, CKR_ENCRYPTED_DATA_LEN_RANGE, CKR_GENERAL_ERROR, CKR_FUNCTION_FAILED,
                   CKR_DATA_INVALID}) {
    SCOPED_TRACE(rv);
    (*p)->InjectFailureForTest(rv, 1);
    EXPECT_EQ((*p)->Unwrap(1, "ctx", wrapped).status().reason(), "unwrap_failed");
  }
  (*p)->InjectFailureForTest(CKR_DEVICE_ERROR, 1);
  EXPECT_EQ((*p)->Unwrap(1, "ctx", wrapped).status().reason(), "key_unavailable");
  EXPECT_TRUE((*p)->Unwrap(1, "ctx", wrapped)->Equals(data_key));
  // A module finalised under the provider: the reopening fails too.
  (*p)->FinalizeModuleForTest();
  auto u = (*p)->Unwrap(1, "ctx", wrapped);
  EXPECT_EQ(u.status().reason(), "key_unavailable") << u.status().ToString();
  EXPECT_EQ((*p)->Wrap(1, "ctx", data_key).status().reason(), "key_unavailable");
}

TEST(Pkcs11KeyProvider, RefusesAMasterKeyThatCouldLeaveTheToken) {
  struct Case {
    const char* name;
    bool sensitive;
    bool extractable;
  };
  for (const Case& c : std::vector<Case>{{"not sensitive", false, false},
                                         {"extractable", true, true},
                                         {"both", false, true}}) {
    SCOPED_TRACE(c.name);
    SoftHsmToken token("tkv-insecure");
    ASSERT_TRUE(token.ready());
    ASSERT_TRUE(MakeAesKey(token, "tenantkv-master-1", true, false));
    ASSERT_TRUE(MakeAesKey(token, "tenantkv-master-2", c.sensitive, c.extractable));
    auto p = Pkcs11KeyProvider::Open(OptionsFor(token));
    ASSERT_FALSE(p.ok()) << "version 2 was adopted";
    EXPECT_EQ(p.status().reason(), "insecure_master_key") << p.status().ToString();
    EXPECT_NE(p.status().message().find("tenantkv-master-2"), std::string::npos) << p.status().ToString();
  }
  // The same made sensitive and not extractable is adopted.
  SoftHsmToken token("tkv-secure");
  ASSERT_TRUE(token.ready());
  ASSERT_TRUE(MakeAesKey(token, "tenantkv-master-1", true, false));
  Pkcs11Options o = OptionsFor(token);
  o.create_if_missing = false;
  auto p = Pkcs11KeyProvider::Open(o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)->Versions(), std::vector<uint32_t>{1});
}

}  // namespace
}  // namespace tenantkv::crypto
