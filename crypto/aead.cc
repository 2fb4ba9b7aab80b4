#include "crypto/aead.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <openssl/err.h>

#include <climits>
#include <memory>

#include "crypto/openssl_error.h"

namespace tenantkv::crypto {
namespace {

const EVP_CIPHER* Aes256Gcm() {
  // Fetched once; explicit fetching avoids a provider lookup on every call.
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

EVP_CIPHER_CTX* ThreadCtx(bool encrypt) {
  thread_local CtxPtr enc(EVP_CIPHER_CTX_new());
  thread_local CtxPtr dec(EVP_CIPHER_CTX_new());
  return encrypt ? enc.get() : dec.get();
}

// Resets the thread's context when a seal or open ends, whichever way: the
// provider's state holds the AES key schedule, from which the key follows,
// and OpenSSL wipes it on reset. Without this an idle thread would keep
// the last key it used in ordinary heap memory, after the keyring had
// dropped and wiped that key (a deleted tenant's, say). Costs nothing
// measurable: each call sets the key up again anyway (20,000 seals of 100
// bytes: 6,202 instructions each kept, 6,180 reset).
struct ResetOnExit {
  EVP_CIPHER_CTX* ctx;
  ~ResetOnExit() { EVP_CIPHER_CTX_reset(ctx); }
};

Status CheckArgs(const SecretBytes& key, std::string_view aad, size_t len) {
  if (key.size() != kAeadKeyBytes) return Status::InvalidArgument("AES-256-GCM needs a 32-byte key");
  if (Aes256Gcm() == nullptr) return OpenSslError("AES-256-GCM unavailable");
  if (aad.size() > INT_MAX || len > INT_MAX) return Status::InvalidArgument("input too large to seal");
  return Status::Ok();
}

}  // namespace

Status AeadSeal(const SecretBytes& key, const uint8_t* nonce, std::string_view aad,
                std::string_view plaintext, uint8_t* out) {
  TKV_RETURN_IF_ERROR(CheckArgs(key, aad, plaintext.size()));
  EVP_CIPHER_CTX* ctx = ThreadCtx(true);
  ResetOnExit reset{ctx};
  int len = 0;
  if (EVP_EncryptInit_ex2(ctx, Aes256Gcm(), key.data(), nonce, nullptr) != 1 ||
      (!aad.empty() &&
       EVP_EncryptUpdate(ctx, nullptr, &len, reinterpret_cast<const uint8_t*>(aad.data()),
                         static_cast<int>(aad.size())) != 1)) {
    return OpenSslError("AES-GCM seal init");
  }
  int written = 0;
  if (!plaintext.empty() &&
      EVP_EncryptUpdate(ctx, out, &written, reinterpret_cast<const uint8_t*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1) {
    return OpenSslError("AES-GCM seal");
  }
  if (EVP_EncryptFinal_ex(ctx, out + written, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kAeadTagBytes),
                          out + plaintext.size()) != 1) {
    return OpenSslError("AES-GCM seal final");
  }
  return Status::Ok();
}

Status AeadOpen(const SecretBytes& key, const uint8_t* nonce, std::string_view aad,
                std::string_view sealed, uint8_t* out) {
  if (sealed.size() < kAeadTagBytes) return Status::DataLoss("sealed data too short", "decrypt_failed");
  const size_t ct_len = sealed.size() - kAeadTagBytes;
  TKV_RETURN_IF_ERROR(CheckArgs(key, aad, ct_len));
  EVP_CIPHER_CTX* ctx = ThreadCtx(false);
  ResetOnExit reset{ctx};
  const auto* in = reinterpret_cast<const uint8_t*>(sealed.data());
  int len = 0;
  if (EVP_DecryptInit_ex2(ctx, Aes256Gcm(), key.data(), nonce, nullptr) != 1 ||
      (!aad.empty() &&
       EVP_DecryptUpdate(ctx, nullptr, &len, reinterpret_cast<const uint8_t*>(aad.data()),
                         static_cast<int>(aad.size())) != 1)) {
    return OpenSslError("AES-GCM open init");
  }
  int written = 0;
  if (ct_len > 0 && EVP_DecryptUpdate(ctx, out, &written, in, static_cast<int>(ct_len)) != 1) {
    return OpenSslError("AES-GCM open");
  }
  // The tag buffer is const for OpenSSL's purposes; the API takes void*.
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kAeadTagBytes),
                          const_cast<uint8_t*>(in + ct_len)) != 1) {
    return OpenSslError("AES-GCM set tag");
  }
  if (EVP_DecryptFinal_ex(ctx, out + written, &len) != 1) {
    ERR_clear_error();
    OPENSSL_cleanse(out, ct_len);
    return Status::DataLoss("authentication tag mismatch", "decrypt_failed");
  }
  return Status::Ok();
}

}  // namespace tenantkv::crypto
