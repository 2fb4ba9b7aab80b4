#include "crypto/keys/pkcs11/pkcs11_key_provider.h"

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "crypto/aead.h"
#include "crypto/key_wrap.h"
#include "crypto/random.h"
#include "crypto/secret_file.h"

namespace tenantkv::crypto {

namespace {

constexpr uint8_t kWrapFormat = 0x02;
constexpr size_t kIvBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr size_t kMaxPinBytes = 256;

std::string RvHex(CK_RV rv) {
  char hex[32];
  std::snprintf(hex, sizeof(hex), "0x%lx", static_cast<unsigned long>(rv));
  return hex;
}

// A failure while opening the provider (start-up).
Status P11Error(const std::string& what, CK_RV rv) {
  return Status::Unavailable("PKCS#11 " + what + " failed: CKR " + RvHex(rv), "pkcs11_error");
}

// A failure of the token while serving: the key cannot be used now, and a
// retry may work (it says nothing about the data).
Status KeyUnavailable(const std::string& what, CK_RV rv) {
  return Status::Unavailable("the PKCS#11 token failed (" + what + ": CKR " + RvHex(rv) + ")", "key_unavailable");
}

// The token reports the session gone or logged out, or no longer knows
// the key's handle (a token logged out hides private objects; one reset
// or put back gives them new handles): a new session, a new login and
// finding the keys again can mend it.
bool SessionLost(CK_RV rv) {
  return rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED || rv == CKR_DEVICE_REMOVED ||
         rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_USER_NOT_LOGGED_IN || rv == CKR_KEY_HANDLE_INVALID ||
         rv == CKR_OBJECT_HANDLE_INVALID;
}

// What C_Decrypt answers for a blob whose GCM tag does not verify: the
// codes the standard gives for it, and the generic ones some modules use
// instead (SoftHSM2: CKR_GENERAL_ERROR), which a failing device gives too.
bool BlobRefused(CK_RV rv) { return rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_LEN_RANGE; }
bool MaybeBlobRefused(CK_RV rv) {
  return rv == CKR_GENERAL_ERROR || rv == CKR_FUNCTION_FAILED || rv == CKR_DATA_INVALID;
}

// Logging in again cannot help: retrying a refused PIN would only count
// towards the token locking it.
bool PinRefused(CK_RV rv) {
  return rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE || rv == CKR_PIN_LOCKED || rv == CKR_PIN_EXPIRED;
}

std::string Trimmed(const unsigned char* field, size_t n) {
  std::string s(reinterpret_cast<const char*>(field), n);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

// The version a label names (prefix + decimal), or 0.
uint32_t VersionOfLabel(const std::string& label, const std::string& prefix) {
  if (label.size() <= prefix.size() || label.compare(0, prefix.size(), prefix) != 0) return 0;
  const std::string digits = label.substr(prefix.size());
  if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) return 0;
  return static_cast<uint32_t>(std::stoul(digits));
}

// AES-GCM parameters: 96-bit IV, 128-bit tag; the pointers must outlive
// the operation.
CK_GCM_PARAMS GcmParams(CK_BYTE_PTR iv, std::string& aad) {
  CK_GCM_PARAMS gcm{};
  gcm.pIv = iv;
  gcm.ulIvLen = kIvBytes;
  gcm.ulIvBits = kIvBytes * 8;
  gcm.pAAD = reinterpret_cast<CK_BYTE_PTR>(aad.data());
  gcm.ulAADLen = aad.size();
  gcm.ulTagBits = kTagBytes * 8;
  return gcm;
}

}  // namespace

// A module loaded and initialised once per process: C_Initialize and
// C_Finalize are process-wide in PKCS#11, so providers of the same module
// share one Module, finalised when the last one goes.
struct Pkcs11KeyProvider::Module {
  std::string path;
  void* handle = nullptr;
  CK_FUNCTION_LIST_PTR fn = nullptr;
  bool finalize = false;

  ~Module() {
    if (fn != nullptr && finalize) fn->C_Finalize(nullptr);
    if (handle != nullptr) ::dlclose(handle);
  }

  static Result<std::shared_ptr<Module>> Load(const std::string& path) {
    static Mutex mu;
    static std::map<std::string, std::weak_ptr<Module>> loaded;
    MutexLock lock(mu);
    if (auto m = loaded[path].lock()) return m;
    auto m = std::make_shared<Module>();
    m->path = path;
    m->handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (m->handle == nullptr) {
      return Status::InvalidArgument("cannot load PKCS#11 module " + path, "pkcs11_config");
    }
    auto get_list = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(m->handle, "C_GetFunctionList"));
    if (get_list == nullptr) {
      return Status::InvalidArgument(path + " is not a PKCS#11 module (no C_GetFunctionList)", "pkcs11_config");
    }
    CK_FUNCTION_LIST_PTR fn = nullptr;
    if (CK_RV rv = get_list(&fn); rv != CKR_OK || fn == nullptr) return P11Error("C_GetFunctionList", rv);
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    CK_RV rv = fn->C_Initialize(&args);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) return P11Error("C_Initialize", rv);
    m->fn = fn;
    // Finalise only what was initialised here.
    m->finalize = rv == CKR_OK;
    loaded[path] = m;
    return m;
  }
};

Result<std::unique_ptr<Pkcs11KeyProvider>> Pkcs11KeyProvider::Open(const Pkcs11Options& options) {
  if (options.module_path.empty() || options.token_label.empty() || options.pin_file.empty()) {
    return Status::InvalidArgument("the PKCS#11 provider needs a module, a token label and a PIN file",
                                   "pkcs11_config");
  }
  if (options.token_label.size() > 32 || options.label_prefix.empty()) {
    return Status::InvalidArgument("a PKCS#11 token label has at most 32 characters", "pkcs11_config");
  }
  if (options.reopen_attempts < 1 || options.reopen_backoff_ms < 0) {
    return Status::InvalidArgument("PKCS#11 reopen_attempts must be >= 1 and reopen_backoff_ms >= 0",
                                   "pkcs11_config");
  }
  TKV_ASSIGN_OR_RETURN(SecretBytes pin_text,
                       ReadOwnerOnlyFile(options.pin_file, kMaxPinBytes,
                                         {"PIN file", "insecure_pin_file", "pkcs11_config", "pkcs11_config"}));
  size_t pin_len = pin_text.size();
  while (pin_len > 0 && (pin_text.data()[pin_len - 1] == '\n' || pin_text.data()[pin_len - 1] == '\r')) --pin_len;
  if (pin_len == 0) return Status::InvalidArgument("the PIN file is empty", "pkcs11_config");

  std::unique_ptr<Pkcs11KeyProvider> p(new Pkcs11KeyProvider());
  p->options_ = options;
  p->pin_ = SecretBytes(pin_len);
  std::memcpy(p->pin_.data(), pin_text.data(), pin_len);
  TKV_ASSIGN_OR_RETURN(p->module_, Module::Load(options.module_path));
  {
    MutexLock lock(p->mu_);
    TKV_RETURN_IF_ERROR(p->OpenSessionLocked());
  }
  if (p->CurrentVersion() == 0) {
    if (!options.create_if_missing) {
      return Status::NotFound("the PKCS#11 token holds no tenantkv master key", "master_key_not_found");
    }
    TKV_RETURN_IF_ERROR(p->AddVersion().status());
  }
  return p;
}

Pkcs11KeyProvider::~Pkcs11KeyProvider() {
  if (module_ != nullptr && session_ != 0) {
    module_->fn->C_CloseSession(session_);  // the last session's close logs out
  }
}

Status Pkcs11KeyProvider::OpenSessionLocked() const {
  CK_FUNCTION_LIST_PTR fn = module_->fn;
  // The slot is looked up by the token's label each time: a token that was
  // removed and put back may sit in another slot.
  CK_ULONG count = 0;
  if (CK_RV rv = fn->C_GetSlotList(CK_TRUE, nullptr, &count); rv != CKR_OK) return P11Error("C_GetSlotList", rv);
  std::vector<CK_SLOT_ID> slots(count);
  if (count > 0) {
    if (CK_RV rv = fn->C_GetSlotList(CK_TRUE, slots.data(), &count); rv != CKR_OK) {
      return P11Error("C_GetSlotList", rv);
    }
    slots.resize(count);
  }
  bool found = false;
  CK_SLOT_ID slot = 0;
  for (CK_SLOT_ID s : slots) {
    CK_TOKEN_INFO info{};
    if (fn->C_GetTokenInfo(s, &info) != CKR_OK) continue;
    if (Trimmed(info.label, sizeof(info.label)) == options_.token_label) {
      slot = s;
      found = true;
      break;
    }
  }
  if (!found) {
    return Status::InvalidArgument("no PKCS#11 token labelled '" + options_.token_label + "'", "pkcs11_config");
  }
  CK_SESSION_HANDLE session = 0;
  if (CK_RV rv = InjectedOr(CKR_OK); rv != CKR_OK) return P11Error("C_OpenSession", rv);
  if (CK_RV rv = fn->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session);
      rv != CKR_OK) {
    return P11Error("C_OpenSession", rv);
  }
  CK_RV rv = fn->C_Login(session, CKU_USER, const_cast<CK_UTF8CHAR_PTR>(pin_.data()), pin_.size());
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
    fn->C_CloseSession(session);
    if (PinRefused(rv)) {
      return Status::PermissionDenied("the PKCS#11 token refused the PIN (CKR " + RvHex(rv) + ")", "pkcs11_login");
    }
    return P11Error("C_Login", rv);
  }
  slot_ = slot;
  session_ = session;
  return LoadKeysLocked();
}

Status Pkcs11KeyProvider::LoadKeysLocked() const {
  CK_FUNCTION_LIST_PTR fn = module_->fn;
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE type = CKK_AES;
  CK_ATTRIBUTE query[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_KEY_TYPE, &type, sizeof(type)}};
  if (CK_RV rv = fn->C_FindObjectsInit(session_, query, 2); rv != CKR_OK) return P11Error("C_FindObjectsInit", rv);
  std::vector<CK_OBJECT_HANDLE> objects;
  for (;;) {
    CK_OBJECT_HANDLE batch[32];
    CK_ULONG n = 0;
    CK_RV rv = fn->C_FindObjects(session_, batch, 32, &n);
    if (rv != CKR_OK) {
      fn->C_FindObjectsFinal(session_);
      return P11Error("C_FindObjects", rv);
    }
    if (n == 0) break;
    objects.insert(objects.end(), batch, batch + n);
  }
  fn->C_FindObjectsFinal(session_);
  std::map<uint32_t, unsigned long> keys;
  for (CK_OBJECT_HANDLE o : objects) {
    char label[128] = {};
    CK_ATTRIBUTE attr = {CKA_LABEL, label, sizeof(label) - 1};
    if (fn->C_GetAttributeValue(session_, o, &attr, 1) != CKR_OK) continue;
    const std::string name(label, attr.ulValueLen);
    const uint32_t v = VersionOfLabel(name, options_.label_prefix);
    if (v == 0) continue;
    if (keys.count(v) != 0) {
      return Status::DataLoss("the PKCS#11 token holds two master keys labelled " + name);
    }
    // A master key that the token would hand out in clear (not sensitive)
    // or let be wrapped out (extractable) is no HSM-held key: refuse it.
    CK_BBOOL sensitive = CK_FALSE, extractable = CK_TRUE;
    CK_ATTRIBUTE flags[] = {{CKA_SENSITIVE, &sensitive, sizeof(sensitive)},
                            {CKA_EXTRACTABLE, &extractable, sizeof(extractable)}};
    if (CK_RV rv = fn->C_GetAttributeValue(session_, o, flags, 2);
        rv != CKR_OK || sensitive != CK_TRUE || extractable != CK_FALSE) {
      return Status::FailedPrecondition(
          "the PKCS#11 object '" + name + "' is " + (rv != CKR_OK ? "of unknown sensitivity" :
                                                    sensitive != CK_TRUE ? "not sensitive" : "extractable") +
              ": a master key must be made with CKA_SENSITIVE true and CKA_EXTRACTABLE false, so that it "
              "never leaves the token",
          "insecure_master_key");
    }
    keys[v] = o;
  }
  keys_ = std::move(keys);
  return Status::Ok();
}

void Pkcs11KeyProvider::Log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

Status Pkcs11KeyProvider::ReopenLocked(const Call& why) const {
  const std::string token = "PKCS#11 token '" + options_.token_label + "'";
  Log(token + ": " + why.name + " reported the session lost (CKR " + RvHex(why.rv) + "); reopening it");
  // It may be gone already; a session that is only logged out is replaced too.
  module_->fn->C_CloseSession(session_);
  session_ = 0;
  Status last = Status::Ok();
  const int attempts = options_.reopen_attempts;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    if (attempt > 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(options_.reopen_backoff_ms << (attempt - 2)));
    }
    last = OpenSessionLocked();
    const std::string of = " (attempt " + std::to_string(attempt) + " of " + std::to_string(attempts) + ")";
    if (last.ok()) {
      Log(token + ": session reopened and logged in" + of);
      return Status::Ok();
    }
    if (session_ != 0) {  // opened, but the keys could not be loaded
      module_->fn->C_CloseSession(session_);
      session_ = 0;
    }
    Log(token + ": reopening the session failed" + of + ": " + last.message());
    if (last.reason() == "pkcs11_login" || last.reason() == "insecure_master_key") break;  // no retry mends these
  }
  return Status::Unavailable(token + " could not be used again after its session was lost: " + last.message(),
                             "key_unavailable");
}

Result<Pkcs11KeyProvider::Call> Pkcs11KeyProvider::RunLocked(const Op& op) const {
  // The lock is held through the recovery: every user of the session would
  // fail with the lost one, so the others wait and then use the new one.
  if (session_ != 0) {
    TKV_ASSIGN_OR_RETURN(Call first, op(session_));
    if (!SessionLost(first.rv)) return first;
    TKV_RETURN_IF_ERROR(ReopenLocked(first));
  } else {
    // An earlier recovery failed: this operation tries again.
    TKV_RETURN_IF_ERROR(ReopenLocked(Call{CKR_SESSION_HANDLE_INVALID, "an earlier call"}));
  }
  return op(session_);
}

unsigned long Pkcs11KeyProvider::InjectedOr(unsigned long rv) const {
  if (injected_count_ <= 0) return rv;
  --injected_count_;
  return injected_rv_;
}

uint32_t Pkcs11KeyProvider::CurrentVersion() const {
  MutexLock lock(mu_);
  return keys_.empty() ? 0 : keys_.rbegin()->first;
}

std::vector<uint32_t> Pkcs11KeyProvider::Versions() const {
  MutexLock lock(mu_);
  std::vector<uint32_t> out;
  for (const auto& [v, h] : keys_) out.push_back(v);
  return out;
}

std::string Pkcs11KeyProvider::Describe() const {
  return "pkcs11:" + options_.module_path + " token '" + options_.token_label + "'";
}

Result<std::string> Pkcs11KeyProvider::Wrap(uint32_t version, std::string_view context,
                                            const SecretBytes& plain) const {
  MutexLock lock(mu_);
  return WrapLocked(version, context, plain);
}

Result<std::string> Pkcs11KeyProvider::WrapLocked(uint32_t version, std::string_view context,
                                                  const SecretBytes& plain) const {
  std::string aad = std::string(kWrapAadPrefix).append(context);
  std::string out(1 + kIvBytes + plain.size() + kTagBytes, '\0');
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  p[0] = kWrapFormat;
  CK_FUNCTION_LIST_PTR fn = module_->fn;
  TKV_ASSIGN_OR_RETURN(Call c, RunLocked([&](CK_SESSION_HANDLE session) -> Result<Call> {
    mu_.AssertHeld();  // RunLocked calls op under mu_
    auto it = keys_.find(version);
    if (it == keys_.end()) {
      return Status::NotFound("no master key version " + std::to_string(version), "master_key_not_found");
    }
    TKV_RETURN_IF_ERROR(RandomBytes(p + 1, kIvBytes));  // a fresh IV for every try
    CK_GCM_PARAMS gcm = GcmParams(p + 1, aad);
    CK_MECHANISM mech = {CKM_AES_GCM, &gcm, sizeof(gcm)};
    if (CK_RV rv = fn->C_EncryptInit(session, &mech, it->second); rv != CKR_OK) return Call{rv, "C_EncryptInit"};
    CK_ULONG out_len = plain.size() + kTagBytes;
    CK_RV rv = fn->C_Encrypt(session, const_cast<CK_BYTE_PTR>(plain.data()), plain.size(), p + 1 + kIvBytes,
                             &out_len);
    if (rv == CKR_OK && out_len != plain.size() + kTagBytes) rv = CKR_GENERAL_ERROR;
    return Call{InjectedOr(rv), "C_Encrypt"};
  }));
  if (c.rv != CKR_OK) return KeyUnavailable(c.name, c.rv);
  return out;
}

Result<SecretBytes> Pkcs11KeyProvider::Unwrap(uint32_t version, std::string_view context,
                                              std::string_view wrapped) const {
  if (wrapped.size() < 1 + kIvBytes + kTagBytes + 1 || static_cast<uint8_t>(wrapped[0]) != kWrapFormat) {
    return Status::DataLoss("wrapped key is malformed", "unwrap_failed");
  }
  MutexLock lock(mu_);
  SecretBytes key;
  TKV_ASSIGN_OR_RETURN(Call c, DecryptLocked(version, context, wrapped, &key));
  // Only the token's verdict on the blob (the GCM tag) is "does not open";
  // any other failure is the token's and says nothing about the data. A
  // generic code is the blob's only if the token still works: a round trip
  // of a random key under the same master key tells.
  if (BlobRefused(c.rv) || (MaybeBlobRefused(c.rv) && ProbeLocked(version).ok())) {
    return Status::DataLoss("wrapped key failed to open", "unwrap_failed");
  }
  if (c.rv != CKR_OK) return KeyUnavailable(c.name, c.rv);
  return key;
}

Result<Pkcs11KeyProvider::Call> Pkcs11KeyProvider::DecryptLocked(uint32_t version, std::string_view context,
                                                                 std::string_view wrapped, SecretBytes* out) const {
  std::string aad = std::string(kWrapAadPrefix).append(context);
  std::string iv(wrapped.substr(1, kIvBytes));
  std::string sealed(wrapped.substr(1 + kIvBytes));
  CK_GCM_PARAMS gcm = GcmParams(reinterpret_cast<CK_BYTE_PTR>(iv.data()), aad);
  CK_MECHANISM mech = {CKM_AES_GCM, &gcm, sizeof(gcm)};
  // Room for the whole input: some modules ask for it before they strip the tag.
  SecretBytes buf(sealed.size());
  CK_ULONG out_len = 0;
  CK_FUNCTION_LIST_PTR fn = module_->fn;
  TKV_ASSIGN_OR_RETURN(Call c, RunLocked([&](CK_SESSION_HANDLE session) -> Result<Call> {
    mu_.AssertHeld();  // RunLocked calls op under mu_
    auto it = keys_.find(version);
    if (it == keys_.end()) {
      return Status::NotFound("no master key version " + std::to_string(version), "master_key_not_found");
    }
    if (CK_RV rv = fn->C_DecryptInit(session, &mech, it->second); rv != CKR_OK) return Call{rv, "C_DecryptInit"};
    out_len = buf.size();
    CK_RV rv = fn->C_Decrypt(session, reinterpret_cast<CK_BYTE_PTR>(sealed.data()), sealed.size(), buf.data(),
                             &out_len);
    return Call{InjectedOr(rv), "C_Decrypt"};
  }));
  if (c.rv != CKR_OK) return c;
  if (out_len != sealed.size() - kTagBytes) return Call{CKR_ENCRYPTED_DATA_LEN_RANGE, "C_Decrypt"};
  *out = SecretBytes(out_len);
  std::memcpy(out->data(), buf.data(), out_len);
  return c;
}

Status Pkcs11KeyProvider::ProbeLocked(uint32_t version) const {
  TKV_ASSIGN_OR_RETURN(SecretBytes probe, SecretBytes::Random(kAeadKeyBytes));
  TKV_ASSIGN_OR_RETURN(std::string wrapped, WrapLocked(version, "probe", probe));
  SecretBytes back;
  TKV_ASSIGN_OR_RETURN(Call c, DecryptLocked(version, "probe", wrapped, &back));
  if (c.rv != CKR_OK || !back.Equals(probe)) {
    return Status::Unavailable("the PKCS#11 token failed a round trip", "key_unavailable");
  }
  return Status::Ok();
}

Result<uint32_t> Pkcs11KeyProvider::AddVersion() {
  MutexLock lock(mu_);
  uint32_t version = 0;
  CK_OBJECT_HANDLE handle = 0;
  TKV_ASSIGN_OR_RETURN(Call c, RunLocked([&](CK_SESSION_HANDLE session) -> Result<Call> {
    mu_.AssertHeld();  // RunLocked calls op under mu_
    // After a reopening keys_ is the token's list again.
    version = keys_.empty() ? 1 : keys_.rbegin()->first + 1;
    const std::string label = options_.label_prefix + std::to_string(version);
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE type = CKK_AES;
    CK_ULONG len = kAeadKeyBytes;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof(cls)},
        {CKA_KEY_TYPE, &type, sizeof(type)},
        {CKA_VALUE_LEN, &len, sizeof(len)},
        {CKA_TOKEN, &yes, sizeof(yes)},
        {CKA_PRIVATE, &yes, sizeof(yes)},
        {CKA_SENSITIVE, &yes, sizeof(yes)},
        {CKA_EXTRACTABLE, &no, sizeof(no)},
        {CKA_ENCRYPT, &yes, sizeof(yes)},
        {CKA_DECRYPT, &yes, sizeof(yes)},
        {CKA_WRAP, &no, sizeof(no)},
        {CKA_UNWRAP, &no, sizeof(no)},
        {CKA_LABEL, const_cast<char*>(label.data()), label.size()},
    };
    CK_MECHANISM mech = {CKM_AES_KEY_GEN, nullptr, 0};
    return Call{module_->fn->C_GenerateKey(session, &mech, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), &handle),
                "C_GenerateKey"};
  }));
  if (c.rv != CKR_OK) return KeyUnavailable(c.name, c.rv);
  keys_[version] = handle;
  return version;
}

Status Pkcs11KeyProvider::Retire(uint32_t version) {
  MutexLock lock(mu_);
  TKV_ASSIGN_OR_RETURN(Call c, RunLocked([&](CK_SESSION_HANDLE session) -> Result<Call> {
    mu_.AssertHeld();  // RunLocked calls op under mu_
    auto it = keys_.find(version);
    if (it == keys_.end()) {
      return Status::NotFound("no master key version " + std::to_string(version), "master_key_not_found");
    }
    if (version == keys_.rbegin()->first) {
      return Status::FailedPrecondition("the current master key cannot be retired", "current_master_key");
    }
    return Call{module_->fn->C_DestroyObject(session, it->second), "C_DestroyObject"};
  }));
  if (c.rv != CKR_OK) return KeyUnavailable(c.name, c.rv);
  keys_.erase(version);
  return Status::Ok();
}

void Pkcs11KeyProvider::CloseSessionForTest() {
  MutexLock lock(mu_);
  module_->fn->C_CloseSession(session_);
}

void Pkcs11KeyProvider::LogoutForTest() {
  MutexLock lock(mu_);
  module_->fn->C_Logout(session_);
}

void Pkcs11KeyProvider::CloseAllSessionsForTest() {
  MutexLock lock(mu_);
  module_->fn->C_CloseAllSessions(slot_);
}

void Pkcs11KeyProvider::FinalizeModuleForTest() {
  MutexLock lock(mu_);
  module_->fn->C_Finalize(nullptr);
}

void Pkcs11KeyProvider::InjectFailureForTest(unsigned long rv, int count) {
  MutexLock lock(mu_);
  injected_rv_ = rv;
  injected_count_ = count;
}

}  // namespace tenantkv::crypto
