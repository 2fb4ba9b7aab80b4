#include "engine/kv/value_envelope.h"

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "crypto/random.h"

#include <algorithm>

namespace tenantkv::engine {
namespace {

constexpr size_t kExpiryBytes = 8;

void PutBE32(uint32_t v, char* p) {
  for (int i = 3; i >= 0; --i, v >>= 8) p[i] = static_cast<char>(v & 0xff);
}
uint32_t GetBE32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = v << 8 | static_cast<uint8_t>(p[i]);
  return v;
}
void PutBE64(uint64_t v, char* p) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<char>(v & 0xff);
}
uint64_t GetBE64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | static_cast<uint8_t>(p[i]);
  return v;
}

// AAD in a per-thread buffer: no allocation once it has grown.
std::string_view BuildAad(uint8_t format, uint32_t version, std::string_view tenant,
                          std::string_view user_key) {
  thread_local std::string aad;
  aad.resize(1 + 4 + 4);
  aad[0] = static_cast<char>(format);
  PutBE32(version, &aad[1]);
  PutBE32(static_cast<uint32_t>(tenant.size()), &aad[5]);
  aad.append(tenant).append(user_key);
  return aad;
}

}  // namespace

Result<EnvelopeHeader> ParseEnvelope(std::string_view sealed) {
  if (sealed.size() < kEnvelopeOverheadBytes) return Status::DataLoss("sealed value too short", "bad_envelope");
  EnvelopeHeader h;
  h.format = static_cast<uint8_t>(sealed[0]);
  if (h.format != kEnvelopePlain && h.format != kEnvelopeWithExpiry) {
    return Status::DataLoss("unknown envelope format", "bad_envelope");
  }
  h.key_version = GetBE32(sealed.data() + 1);
  h.nonce = sealed.substr(5, crypto::kAeadNonceBytes);
  size_t plain = sealed.size() - kEnvelopeOverheadBytes;
  if (h.has_expiry()) {
    if (plain < kExpiryBytes) return Status::DataLoss("sealed value too short", "bad_envelope");
    plain -= kExpiryBytes;
  }
  h.value_size = plain;
  return h;
}

std::string EnvelopeEtag(const EnvelopeHeader& header) { return crypto::HexEncode(header.nonce); }

Status SealValue(const crypto::SecretBytes& key, uint32_t key_version, std::string_view tenant,
                 std::string_view user_key, std::string_view value, int64_t expires_at_ms,
                 std::string* out) {
  return SealValueWithNonce(key, key_version, tenant, user_key, value, expires_at_ms, {}, out);
}

Status SealValueWithNonce(const crypto::SecretBytes& key, uint32_t key_version, std::string_view tenant,
                          std::string_view user_key, std::string_view value, int64_t expires_at_ms,
                          std::string_view given_nonce, std::string* out) {
  if (!given_nonce.empty() && given_nonce.size() != crypto::kAeadNonceBytes) {
    return Status::InvalidArgument("a nonce is 12 bytes");
  }
  const uint8_t format = expires_at_ms > 0 ? kEnvelopeWithExpiry : kEnvelopePlain;
  const size_t plain_size = value.size() + (expires_at_ms > 0 ? kExpiryBytes : 0);
  out->resize(kEnvelopeOverheadBytes + plain_size);
  char* p = out->data();
  p[0] = static_cast<char>(format);
  PutBE32(key_version, p + 1);
  auto* nonce = reinterpret_cast<uint8_t*>(p + 5);
  if (given_nonce.empty()) {
    TKV_RETURN_IF_ERROR(crypto::RandomNonce(nonce, crypto::kAeadNonceBytes));
  } else {
    std::copy(given_nonce.begin(), given_nonce.end(), p + 5);
  }
  std::string_view aad = BuildAad(format, key_version, tenant, user_key);
  auto* ct = reinterpret_cast<uint8_t*>(p + kEnvelopeHeaderBytes);
  if (expires_at_ms <= 0) return crypto::AeadSeal(key, nonce, aad, value, ct);
  // The expiry goes inside the ciphertext; stage it with the value once.
  thread_local std::string staged;
  staged.resize(plain_size);
  PutBE64(static_cast<uint64_t>(expires_at_ms), staged.data());
  staged.replace(kExpiryBytes, value.size(), value);
  return crypto::AeadSeal(key, nonce, aad, staged, ct);
}

Status OpenValue(const crypto::SecretBytes& key, std::string_view tenant, std::string_view user_key,
                 std::string_view sealed, std::string* value, int64_t* expires_at_ms) {
  TKV_ASSIGN_OR_RETURN(EnvelopeHeader h, ParseEnvelope(sealed));
  std::string_view aad = BuildAad(h.format, h.key_version, tenant, user_key);
  std::string_view body = sealed.substr(kEnvelopeHeaderBytes);
  value->resize(body.size() - crypto::kAeadTagBytes);
  TKV_RETURN_IF_ERROR(crypto::AeadOpen(key, reinterpret_cast<const uint8_t*>(h.nonce.data()), aad,
                                       body, reinterpret_cast<uint8_t*>(value->data())));
  *expires_at_ms = 0;
  if (h.has_expiry()) {
    *expires_at_ms = static_cast<int64_t>(GetBE64(value->data()));
    value->erase(0, kExpiryBytes);
  }
  return Status::Ok();
}

}  // namespace tenantkv::engine
