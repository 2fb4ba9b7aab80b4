// Pkcs11KeyProvider: master keys inside a PKCS#11 token (an HSM, or SoftHSM
// for tests). Keys never leave the token: each master version is an AES-256
// secret key object labelled `<label_prefix><version>` (e.g.
// tenantkv-master-3) made by C_GenerateKey with CKA_TOKEN, CKA_PRIVATE and
// CKA_SENSITIVE true and CKA_EXTRACTABLE false. Wrap and Unwrap run inside
// the token with CKM_AES_GCM: a fresh random 96-bit IV per wrap, the
// context as AAD (with the same domain prefix as crypto/key_wrap.h), 128-bit
// tag. Wrapped form: 0x02 | IV | ciphertext | tag.
//
// The module is dlopen'ed and initialised once per process (reference
// counted across providers of the same module). One logged-in session is
// shared under a mutex, so the provider is thread-safe. The PIN is read
// from a file that only its owner may read; it is kept in locked memory
// only for the login and never logged.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "crypto/key_provider.h"

namespace tenantkv::crypto {

struct Pkcs11Options {
  std::string module_path;   // e.g. /usr/lib/softhsm/libsofthsm2.so
  std::string token_label;   // the token to use, by its label
  std::string pin_file;      // the user PIN (mode 0600 or 0400; one trailing newline ignored)
  std::string label_prefix = "tenantkv-master-";  // object labels: prefix + version
  bool create_if_missing = true;  // make version 1 in a token that has no master key
};

class Pkcs11KeyProvider final : public KeyProvider {
 public:
  // Loads the module, logs in to the token and finds the master keys.
  // InvalidArgument("pkcs11_config") for a bad option, a missing token or
  // PIN file; FailedPrecondition("insecure_pin_file") if others may read the
  // PIN file; Unavailable("pkcs11_error") when the module or token fails;
  // NotFound("master_key_not_found") if the token holds no master key and
  // !create_if_missing.
  static Result<std::unique_ptr<Pkcs11KeyProvider>> Open(const Pkcs11Options& options);
  ~Pkcs11KeyProvider() override;

  uint32_t CurrentVersion() const override;
  std::vector<uint32_t> Versions() const override;
  Result<std::string> Wrap(uint32_t version, std::string_view context,
                           const SecretBytes& plain) const override;
  Result<SecretBytes> Unwrap(uint32_t version, std::string_view context,
                             std::string_view wrapped) const override;
  Result<uint32_t> AddVersion() override;
  Status Retire(uint32_t version) override;
  std::string Describe() const override;

  struct Module;   // the loaded module (pkcs11_key_provider.cc)

 private:
  Pkcs11KeyProvider() = default;
  Status LoadKeys();

  Pkcs11Options options_;
  std::shared_ptr<Module> module_;
  unsigned long session_ = 0;         // CK_SESSION_HANDLE, GUARDED_BY(mu_)
  mutable std::mutex mu_;             // the session is used by one thread at a time
  std::map<uint32_t, unsigned long> keys_;  // GUARDED_BY(mu_): version -> CK_OBJECT_HANDLE
};

}  // namespace tenantkv::crypto
