#include "crypto/key_wrap.h"

#include "crypto/aead.h"
#include "crypto/random.h"

namespace tenantkv::crypto {
namespace {
constexpr uint8_t kWrapFormat = 0x01;
}  // namespace

Result<std::string> WrapKey(const SecretBytes& master, std::string_view context,
                            const SecretBytes& key) {
  std::string aad = std::string(kWrapAadPrefix).append(context);
  std::string out(1 + kAeadNonceBytes + key.size() + kAeadTagBytes, '\0');
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  p[0] = kWrapFormat;
  TKV_RETURN_IF_ERROR(RandomBytes(p + 1, kAeadNonceBytes));
  std::string_view plain(reinterpret_cast<const char*>(key.data()), key.size());
  TKV_RETURN_IF_ERROR(AeadSeal(master, p + 1, aad, plain, p + 1 + kAeadNonceBytes));
  return out;
}

Result<SecretBytes> UnwrapKey(const SecretBytes& master, std::string_view context,
                              std::string_view wrapped) {
  if (wrapped.size() < 1 + kAeadNonceBytes + kAeadTagBytes ||
      static_cast<uint8_t>(wrapped[0]) != kWrapFormat) {
    return Status::DataLoss("wrapped key is malformed", "unwrap_failed");
  }
  std::string aad = std::string(kWrapAadPrefix).append(context);
  const auto* nonce = reinterpret_cast<const uint8_t*>(wrapped.data() + 1);
  std::string_view sealed = wrapped.substr(1 + kAeadNonceBytes);
  SecretBytes key(sealed.size() - kAeadTagBytes);
  Status s = AeadOpen(master, nonce, aad, sealed, key.data());
  if (!s.ok()) return Status::DataLoss("wrapped key failed to open", "unwrap_failed");
  return key;
}

}  // namespace tenantkv::crypto
