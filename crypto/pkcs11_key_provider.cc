#include "crypto/pkcs11_key_provider.h"

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <algorithm>
#include <cstring>
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

Status P11Error(const std::string& what, CK_RV rv) {
  char hex[32];
  std::snprintf(hex, sizeof(hex), "0x%lx", static_cast<unsigned long>(rv));
  return Status::Unavailable("PKCS#11 " + what + " failed: CKR " + hex, "pkcs11_error");
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
    static std::mutex mu;
    static std::map<std::string, std::weak_ptr<Module>> loaded;
    std::lock_guard<std::mutex> lock(mu);
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
  TKV_ASSIGN_OR_RETURN(SecretBytes pin_text,
                       ReadOwnerOnlyFile(options.pin_file, kMaxPinBytes,
                                         {"PIN file", "insecure_pin_file", "pkcs11_config", "pkcs11_config"}));
  size_t pin_len = pin_text.size();
  while (pin_len > 0 && (pin_text.data()[pin_len - 1] == '\n' || pin_text.data()[pin_len - 1] == '\r')) --pin_len;
  if (pin_len == 0) return Status::InvalidArgument("the PIN file is empty", "pkcs11_config");

  std::unique_ptr<Pkcs11KeyProvider> p(new Pkcs11KeyProvider());
  p->options_ = options;
  TKV_ASSIGN_OR_RETURN(p->module_, Module::Load(options.module_path));
  CK_FUNCTION_LIST_PTR fn = p->module_->fn;

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
    if (Trimmed(info.label, sizeof(info.label)) == options.token_label) {
      slot = s;
      found = true;
      break;
    }
  }
  if (!found) {
    return Status::InvalidArgument("no PKCS#11 token labelled '" + options.token_label + "'", "pkcs11_config");
  }
  CK_SESSION_HANDLE session = 0;
  if (CK_RV rv = fn->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session);
      rv != CKR_OK) {
    return P11Error("C_OpenSession", rv);
  }
  p->session_ = session;
  CK_RV rv = fn->C_Login(session, CKU_USER, pin_text.data(), pin_len);
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
    if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE) {
      return Status::PermissionDenied("the PKCS#11 token refused the PIN", "pkcs11_login");
    }
    return P11Error("C_Login", rv);
  }
  TKV_RETURN_IF_ERROR(p->LoadKeys());
  if (p->keys_.empty()) {
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

Status Pkcs11KeyProvider::LoadKeys() {
  CK_FUNCTION_LIST_PTR fn = module_->fn;
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE type = CKK_AES;
  CK_ATTRIBUTE query[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_KEY_TYPE, &type, sizeof(type)}};
  std::lock_guard<std::mutex> lock(mu_);
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
  for (CK_OBJECT_HANDLE o : objects) {
    char label[128] = {};
    CK_ATTRIBUTE attr = {CKA_LABEL, label, sizeof(label) - 1};
    if (fn->C_GetAttributeValue(session_, o, &attr, 1) != CKR_OK) continue;
    const uint32_t v = VersionOfLabel(std::string(label, attr.ulValueLen), options_.label_prefix);
    if (v == 0) continue;
    if (keys_.count(v) != 0) {
      return Status::DataLoss("the PKCS#11 token holds two master keys labelled " + options_.label_prefix +
                              std::to_string(v));
    }
    keys_[v] = o;
  }
  return Status::Ok();
}

uint32_t Pkcs11KeyProvider::CurrentVersion() const {
  std::lock_guard<std::mutex> lock(mu_);
  return keys_.empty() ? 0 : keys_.rbegin()->first;
}

std::vector<uint32_t> Pkcs11KeyProvider::Versions() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<uint32_t> out;
  for (const auto& [v, h] : keys_) out.push_back(v);
  return out;
}

std::string Pkcs11KeyProvider::Describe() const {
  return "pkcs11:" + options_.module_path + " token '" + options_.token_label + "'";
}

Result<std::string> Pkcs11KeyProvider::Wrap(uint32_t version, std::string_view context,
                                            const SecretBytes& plain) const {
  std::string aad = std::string(kWrapAadPrefix).append(context);
  std::string out(1 + kIvBytes + plain.size() + kTagBytes, '\0');
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  p[0] = kWrapFormat;
  TKV_RETURN_IF_ERROR(RandomBytes(p + 1, kIvBytes));
  CK_GCM_PARAMS gcm = GcmParams(p + 1, aad);
  CK_MECHANISM mech = {CKM_AES_GCM, &gcm, sizeof(gcm)};
  std::lock_guard<std::mutex> lock(mu_);
  auto it = keys_.find(version);
  if (it == keys_.end()) {
    return Status::NotFound("no master key version " + std::to_string(version), "master_key_not_found");
  }
  CK_FUNCTION_LIST_PTR fn = module_->fn;
  if (CK_RV rv = fn->C_EncryptInit(session_, &mech, it->second); rv != CKR_OK) return P11Error("C_EncryptInit", rv);
  CK_ULONG out_len = plain.size() + kTagBytes;
  CK_RV rv = fn->C_Encrypt(session_, const_cast<CK_BYTE_PTR>(plain.data()), plain.size(),
                           p + 1 + kIvBytes, &out_len);
  if (rv != CKR_OK) return P11Error("C_Encrypt", rv);
  if (out_len != plain.size() + kTagBytes) return Status::Internal("PKCS#11 AES-GCM gave an unexpected length");
  return out;
}

Result<SecretBytes> Pkcs11KeyProvider::Unwrap(uint32_t version, std::string_view context,
                                              std::string_view wrapped) const {
  if (wrapped.size() < 1 + kIvBytes + kTagBytes + 1 || static_cast<uint8_t>(wrapped[0]) != kWrapFormat) {
    return Status::DataLoss("wrapped key is malformed", "unwrap_failed");
  }
  std::string aad = std::string(kWrapAadPrefix).append(context);
  std::string iv(wrapped.substr(1, kIvBytes));
  std::string sealed(wrapped.substr(1 + kIvBytes));
  CK_GCM_PARAMS gcm = GcmParams(reinterpret_cast<CK_BYTE_PTR>(iv.data()), aad);
  CK_MECHANISM mech = {CKM_AES_GCM, &gcm, sizeof(gcm)};
  // Room for the whole input: some modules ask for it before they strip the tag.
  SecretBytes buf(sealed.size());
  std::lock_guard<std::mutex> lock(mu_);
  auto it = keys_.find(version);
  if (it == keys_.end()) {
    return Status::NotFound("no master key version " + std::to_string(version), "master_key_not_found");
  }
  CK_FUNCTION_LIST_PTR fn = module_->fn;
  if (CK_RV rv = fn->C_DecryptInit(session_, &mech, it->second); rv != CKR_OK) return P11Error("C_DecryptInit", rv);
  CK_ULONG out_len = buf.size();
  CK_RV rv = fn->C_Decrypt(session_, reinterpret_cast<CK_BYTE_PTR>(sealed.data()), sealed.size(), buf.data(),
                           &out_len);
  if (rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_LEN_RANGE || rv == CKR_FUNCTION_FAILED ||
      rv == CKR_DATA_INVALID || rv == CKR_GENERAL_ERROR) {
    return Status::DataLoss("wrapped key failed to open", "unwrap_failed");
  }
  if (rv != CKR_OK) return P11Error("C_Decrypt", rv);
  if (out_len != sealed.size() - kTagBytes) return Status::DataLoss("wrapped key failed to open", "unwrap_failed");
  SecretBytes key(out_len);
  std::memcpy(key.data(), buf.data(), out_len);
  return key;
}

Result<uint32_t> Pkcs11KeyProvider::AddVersion() {
  std::lock_guard<std::mutex> lock(mu_);
  const uint32_t version = keys_.empty() ? 1 : keys_.rbegin()->first + 1;
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
  CK_OBJECT_HANDLE handle = 0;
  if (CK_RV rv = module_->fn->C_GenerateKey(session_, &mech, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), &handle);
      rv != CKR_OK) {
    return P11Error("C_GenerateKey", rv);
  }
  keys_[version] = handle;
  return version;
}

Status Pkcs11KeyProvider::Retire(uint32_t version) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = keys_.find(version);
  if (it == keys_.end()) {
    return Status::NotFound("no master key version " + std::to_string(version), "master_key_not_found");
  }
  if (version == keys_.rbegin()->first) {
    return Status::FailedPrecondition("the current master key cannot be retired", "current_master_key");
  }
  if (CK_RV rv = module_->fn->C_DestroyObject(session_, it->second); rv != CKR_OK) {
    return P11Error("C_DestroyObject", rv);
  }
  keys_.erase(it);
  return Status::Ok();
}

}  // namespace tenantkv::crypto
