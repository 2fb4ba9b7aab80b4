#include "crypto/passphrase_key.h"

#include <openssl/evp.h>

#include "crypto/aead.h"
#include "crypto/openssl_error.h"

namespace tenantkv::crypto {

Status ValidatePassphrase(std::string_view passphrase) {
  if (passphrase.size() < kMinPassphraseBytes || passphrase.size() > kMaxPassphraseBytes) {
    return Status::InvalidArgument("the passphrase must be 12..1024 bytes long", "weak_passphrase");
  }
  return Status::Ok();
}

Result<SecretBytes> DeriveKeyFromPassphrase(std::string_view passphrase, std::string_view salt,
                                            uint32_t iterations) {
  TKV_RETURN_IF_ERROR(ValidatePassphrase(passphrase));
  if (salt.size() < kPassphraseSaltBytes) {
    return Status::InvalidArgument("the salt must be at least 16 bytes", "bad_kdf");
  }
  if (iterations < 100000 || iterations > 10000000) {
    return Status::InvalidArgument("PBKDF2 iterations must be 100000..10000000", "bad_kdf");
  }
  SecretBytes key(kAeadKeyBytes);
  if (PKCS5_PBKDF2_HMAC(passphrase.data(), static_cast<int>(passphrase.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                        static_cast<int>(key.size()), key.data()) != 1) {
    return OpenSslError("PBKDF2");
  }
  return key;
}

}  // namespace tenantkv::crypto
