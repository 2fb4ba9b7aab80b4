// Fuzz target: the value envelope decoder (engine/kv/value_envelope.h).
//
// Properties, checked on every input (a violation traps, which libFuzzer
// reports as a crash):
// - ParseEnvelope and OpenValue never crash on any bytes, and a parsed
//   header is consistent with the buffer's length;
// - an envelope opens only if it is exactly what SealValue wrote, for the
//   same tenant, user key and data key: any edit (flipped, inserted or
//   dropped bytes, a relabelled key version) and any other context fails.
//
// Input: byte 0 picks the mode.
//   even: the rest is an envelope, opened as it is under the test key;
//   odd:  byte 1 picks a reference envelope sealed at start-up, byte 2 the
//         context to open it in (bit 0 another tenant, bit 1 another user
//         key, bit 2 another data key), and each following 3 bytes are one
//         edit (kind, position, operand) applied before opening.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "crypto/aead.h"
#include "crypto/secret_bytes.h"
#include "engine/kv/value_envelope.h"

namespace {

using tenantkv::crypto::SecretBytes;
namespace engine = tenantkv::engine;

constexpr char kTenant[] = "fuzz-tenant";
constexpr char kUserKey[] = "fuzz/key";

SecretBytes FixedKey(uint8_t salt) {
  SecretBytes key(tenantkv::crypto::kAeadKeyBytes);
  for (size_t i = 0; i < key.size(); ++i) key.data()[i] = static_cast<uint8_t>(i * 7 + salt);
  return key;
}

struct Reference {
  std::string value;
  int64_t expires_at_ms = 0;
  std::string sealed;
};

struct Fixture {
  SecretBytes key = FixedKey(1);
  SecretBytes other_key = FixedKey(2);
  std::vector<Reference> refs;

  Fixture() {
    const std::vector<std::string> values = {"", "v", std::string("\0\xff\x01", 3), std::string(100, 'x'),
                                             std::string(300, '\x80')};
    const uint32_t versions[] = {1, 0xffffffffu};
    for (const auto& v : values) {
      for (int64_t expiry : {int64_t{0}, int64_t{1767225600000}}) {
        for (uint32_t version : versions) {
          Reference r{v, expiry, {}};
          if (!engine::SealValue(key, version, kTenant, kUserKey, v, expiry, &r.sealed).ok()) std::abort();
          refs.push_back(std::move(r));
        }
      }
    }
  }
};

const Fixture& GetFixture() {
  static const Fixture* f = new Fixture();
  return *f;
}

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

void CheckHeader(std::string_view sealed) {
  auto h = engine::ParseEnvelope(sealed);
  if (!h.ok()) return;
  size_t expiry = h->has_expiry() ? 8 : 0;
  Check(h->value_size + expiry + engine::kEnvelopeOverheadBytes == sealed.size());
  Check(h->nonce.size() == tenantkv::crypto::kAeadNonceBytes);
  Check(engine::EnvelopeEtag(*h).size() == 2 * tenantkv::crypto::kAeadNonceBytes);
}

void RunRaw(const Fixture& f, std::string_view sealed) {
  CheckHeader(sealed);
  std::string value;
  int64_t expires = -1;
  auto s = engine::OpenValue(f.key, kTenant, kUserKey, sealed, &value, &expires);
  if (s.ok()) {
    // Only a genuine envelope opens; its header must agree with the result.
    auto h = engine::ParseEnvelope(sealed);
    Check(h.ok() && h->value_size == value.size() && (expires != 0) == h->has_expiry());
  }
}

void ApplyEdit(std::string* s, uint8_t kind, uint8_t pos, uint8_t operand) {
  const size_t at = s->empty() ? 0 : pos % (s->size() + 1);
  switch (kind % 5) {
    case 0:  // flip bits of one byte
      if (at < s->size()) (*s)[at] = static_cast<char>((*s)[at] ^ operand);
      break;
    case 1:  // truncate
      s->resize(at);
      break;
    case 2:  // insert one byte
      s->insert(s->begin() + static_cast<std::ptrdiff_t>(at), static_cast<char>(operand));
      break;
    case 3:  // drop one byte
      if (at < s->size()) s->erase(at, 1);
      break;
    case 4:  // relabel: set a header byte (format or key version)
      if (s->size() > operand % 5) (*s)[operand % 5] = static_cast<char>(pos);
      break;
  }
}

void RunMutated(const Fixture& f, const uint8_t* data, size_t size) {
  if (size < 2) return;
  const Reference& ref = f.refs[data[0] % f.refs.size()];
  const uint8_t context = data[1] & 7;
  std::string sealed = ref.sealed;
  for (size_t i = 2; i + 3 <= size; i += 3) ApplyEdit(&sealed, data[i], data[i + 1], data[i + 2]);
  CheckHeader(sealed);
  const SecretBytes& key = (context & 4) ? f.other_key : f.key;
  const char* tenant = (context & 1) ? "fuzz-tenanu" : kTenant;
  const char* user_key = (context & 2) ? "fuzz/kez" : kUserKey;
  std::string value;
  int64_t expires = -1;
  auto s = engine::OpenValue(key, tenant, user_key, sealed, &value, &expires);
  const bool genuine = sealed == ref.sealed && context == 0;
  Check(s.ok() == genuine);
  if (s.ok()) {
    Check(value == ref.value);
    Check(expires == ref.expires_at_ms);
  } else {
    Check(s.code() == tenantkv::Code::kDataLoss);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Fixture& f = GetFixture();
  if (data[0] % 2 == 0) {
    RunRaw(f, std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  } else {
    RunMutated(f, data + 1, size - 1);
  }
  return 0;
}
