#include "crypto/key_wrap.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/aead.h"

namespace tenantkv::crypto {
namespace {

SecretBytes NewKey() { return SecretBytes::Random(kAeadKeyBytes).value(); }

void ExpectUnwrapFailed(const Result<SecretBytes>& r) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kDataLoss) << r.status().ToString();
  EXPECT_EQ(r.status().reason(), "unwrap_failed");
}

TEST(KeyWrap, RoundTrips) {
  const SecretBytes master = NewKey();
  const SecretBytes data_key = NewKey();
  auto wrapped = WrapKey(master, "tenant=a;dkey=1;master=1", data_key);
  ASSERT_TRUE(wrapped.ok()) << wrapped.status().ToString();
  EXPECT_EQ(wrapped->size(), 1 + kAeadNonceBytes + kAeadKeyBytes + kAeadTagBytes);
  EXPECT_EQ(static_cast<uint8_t>((*wrapped)[0]), 0x01);
  const std::string raw(reinterpret_cast<const char*>(data_key.data()), data_key.size());
  EXPECT_EQ(wrapped->find(raw), std::string::npos);
  auto unwrapped = UnwrapKey(master, "tenant=a;dkey=1;master=1", *wrapped);
  ASSERT_TRUE(unwrapped.ok()) << unwrapped.status().ToString();
  EXPECT_TRUE(unwrapped->Equals(data_key));
}

TEST(KeyWrap, WrappingTwiceGivesDifferentBlobs) {
  const SecretBytes master = NewKey();
  const SecretBytes data_key = NewKey();
  auto a = WrapKey(master, "ctx", data_key);
  auto b = WrapKey(master, "ctx", data_key);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST(KeyWrap, RejectsWrongMasterContextOrTampering) {
  const SecretBytes master = NewKey();
  const SecretBytes data_key = NewKey();
  const std::string ctx = "tenant=a;dkey=1;master=1";
  const std::string wrapped = WrapKey(master, ctx, data_key).value();

  struct Case {
    const char* name;
    std::string blob;
    std::string context;
    bool other_master = false;
  };
  std::vector<Case> cases = {
      {"wrong master", wrapped, ctx, true},
      {"other tenant", wrapped, "tenant=b;dkey=1;master=1"},
      {"other data-key version", wrapped, "tenant=a;dkey=2;master=1"},
      {"empty context", wrapped, ""},
      {"empty blob", "", ctx},
      {"one byte", wrapped.substr(0, 1), ctx},
      {"header only", wrapped.substr(0, 1 + kAeadNonceBytes), ctx},
      {"shorter than header and tag", wrapped.substr(0, 1 + kAeadNonceBytes + kAeadTagBytes - 1), ctx},
      {"truncated", wrapped.substr(0, wrapped.size() - 1), ctx},
      {"extended", wrapped + "x", ctx},
  };
  for (size_t i = 0; i < wrapped.size(); i += 7) {
    Case c{"tampered byte", wrapped, ctx};
    c.blob[i] ^= 0x01;
    cases.push_back(c);
  }
  Case last{"tampered last byte", wrapped, ctx};
  last.blob.back() ^= 0x80;
  cases.push_back(last);

  const SecretBytes other_master = NewKey();
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(std::string(c.name) + " #" + std::to_string(i));
    ExpectUnwrapFailed(UnwrapKey(c.other_master ? other_master : master, c.context, c.blob));
  }
}

TEST(KeyWrap, UnwrapUnderBadMasterSizeIsUnwrapFailed) {
  const SecretBytes master = NewKey();
  const std::string wrapped = WrapKey(master, "ctx", NewKey()).value();
  ExpectUnwrapFailed(UnwrapKey(SecretBytes(16), "ctx", wrapped));
}

TEST(KeyWrap, WrapUnderBadMasterSizeFails) {
  auto r = WrapKey(SecretBytes(16), "ctx", NewKey());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace tenantkv::crypto
