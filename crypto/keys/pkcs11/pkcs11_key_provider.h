// Pkcs11KeyProvider: master keys inside a PKCS#11 token (an HSM, or SoftHSM
// for tests). Keys never leave the token: each master version is an AES-256
// secret key object labelled `<label_prefix><version>` (e.g.
// tenantkv-master-3) made by C_GenerateKey with CKA_TOKEN, CKA_PRIVATE and
// CKA_SENSITIVE true and CKA_EXTRACTABLE false. Only such objects are
// adopted: a labelled object that is not sensitive, or is extractable, is
// refused at start. Wrap and Unwrap run inside the token with CKM_AES_GCM:
// a fresh random 96-bit IV per wrap, the context as AAD (with the same
// domain prefix as crypto/key_wrap.h), 128-bit tag. Wrapped form:
// 0x02 | IV | ciphertext | tag.
//
// The module is dlopen'ed and initialised once per process (reference
// counted across providers of the same module). One logged-in session is
// shared under a mutex, so the provider is thread-safe. When the token
// reports that session lost (closed, logged out, the token removed or
// reset), the thread that sees it reopens a session and logs in again
// (bounded attempts with backoff, each logged), then runs the operation once
// more; threads waiting for the session meanwhile then use the new one.
// The PIN is read from a file that only its owner may read and kept in
// locked memory (SecretBytes) for those logins; it is never logged.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "crypto/keys/key_provider.h"
#include "crypto/mutex.h"

namespace tenantkv::crypto {

struct Pkcs11Options {
  std::string module_path;   // e.g. /usr/lib/softhsm/libsofthsm2.so
  std::string token_label;   // the token to use, by its label
  std::string pin_file;      // the user PIN (mode 0600 or 0400; one trailing newline ignored)
  std::string label_prefix = "tenantkv-master-";  // object labels: prefix + version
  bool create_if_missing = true;  // make version 1 in a token that has no master key
  // Recovery of a lost session: tries to reopen it and log in (>= 1), and
  // the pause before the second try in ms, doubled before each later one.
  int reopen_attempts = 3;
  int reopen_backoff_ms = 20;
  // Receives one line per session recovery step (never a PIN or key
  // bytes); may be empty. Called with the provider's lock held: must not
  // call back into the provider.
  std::function<void(const std::string&)> log;
};

class Pkcs11KeyProvider final : public KeyProvider {
 public:
  // Loads the module, logs in to the token and finds the master keys.
  // InvalidArgument("pkcs11_config") for a bad option, a missing token or
  // PIN file; FailedPrecondition("insecure_pin_file") if others may read the
  // PIN file; FailedPrecondition("insecure_master_key") if a master key
  // object is not sensitive or is extractable; Unavailable("pkcs11_error")
  // when the module or token fails; NotFound("master_key_not_found") if the
  // token holds no master key and !create_if_missing.
  static Result<std::unique_ptr<Pkcs11KeyProvider>> Open(const Pkcs11Options& options);
  ~Pkcs11KeyProvider() override;

  // After Open, a failure of the token (including a lost session that
  // could not be reopened) is Unavailable("key_unavailable"); Unwrap gives
  // DataLoss("unwrap_failed") only when the blob does not open: the token
  // says so (CKR_ENCRYPTED_DATA_INVALID / _LEN_RANGE), or it gives a
  // generic failure (CKR_GENERAL_ERROR, CKR_FUNCTION_FAILED,
  // CKR_DATA_INVALID: how some modules report a GCM tag that does not
  // verify) while a round trip of a random key under the same master key
  // still works.
  uint32_t CurrentVersion() const override;
  std::vector<uint32_t> Versions() const override;
  Result<std::string> Wrap(uint32_t version, std::string_view context,
                           const SecretBytes& plain) const override;
  Result<SecretBytes> Unwrap(uint32_t version, std::string_view context,
                             std::string_view wrapped) const override;
  Result<uint32_t> AddVersion() override;
  Status Retire(uint32_t version) override;
  std::string Describe() const override;

  // Test hooks: pull the session out from under the provider as a token
  // reset or another client would (close it, log out, close every session
  // of the slot, finalise the module).
  void CloseSessionForTest();
  void LogoutForTest();
  void CloseAllSessionsForTest();
  void FinalizeModuleForTest();
  // The next `count` C_Encrypt/C_Decrypt calls run, then report `rv` as
  // the module would (the operation ends, as on a real failure), and the
  // next C_OpenSession calls fail with `rv`, as with a token that is gone;
  // `count` covers both, in the order they happen.
  void InjectFailureForTest(unsigned long rv, int count);

  struct Module;   // the loaded module (pkcs11_key_provider.cc)

 private:
  // The outcome of an operation: its last PKCS#11 call and that call's CK_RV.
  struct Call {
    unsigned long rv = 0;  // CKR_OK
    const char* name = "";
  };
  using Op = std::function<Result<Call>(unsigned long session)>;

  Pkcs11KeyProvider() = default;
  // Finds the token's slot, opens a session, logs in and loads the keys.
  Status OpenSessionLocked() const REQUIRES(mu_);
  // Reopens the session after `why` reported it lost.
  Status ReopenLocked(const Call& why) const REQUIRES(mu_);
  // Runs `op` on the session, and once more after reopening it if the
  // token reported the session lost.
  Result<Call> RunLocked(const Op& op) const REQUIRES(mu_);
  // Loads the master key objects (label prefix, sensitive, not
  // extractable) into keys_.
  Status LoadKeysLocked() const REQUIRES(mu_);
  Result<std::string> WrapLocked(uint32_t version, std::string_view context,
                                 const SecretBytes& plain) const REQUIRES(mu_);
  // Decrypts a well-formed `wrapped` in the token: the outcome of the last
  // call, and the plain key in *out if that is CKR_OK.
  Result<Call> DecryptLocked(uint32_t version, std::string_view context, std::string_view wrapped,
                             SecretBytes* out) const REQUIRES(mu_);
  // Whether the token still works: wraps and unwraps a random key under
  // `version`.
  Status ProbeLocked(uint32_t version) const REQUIRES(mu_);
  void Log(const std::string& line) const;
  unsigned long InjectedOr(unsigned long rv) const REQUIRES(mu_);

  Pkcs11Options options_;
  SecretBytes pin_;                   // the user PIN, for logins after a session loss
  std::shared_ptr<Module> module_;
  mutable Mutex mu_;  // the session is used by one thread at a time
  mutable unsigned long slot_ GUARDED_BY(mu_) = 0;     // CK_SLOT_ID
  mutable unsigned long session_ GUARDED_BY(mu_) = 0;  // CK_SESSION_HANDLE (0: none)
  mutable std::map<uint32_t, unsigned long> keys_ GUARDED_BY(mu_);  // version -> CK_OBJECT_HANDLE
  mutable unsigned long injected_rv_ GUARDED_BY(mu_) = 0;
  mutable int injected_count_ GUARDED_BY(mu_) = 0;
};

}  // namespace tenantkv::crypto
