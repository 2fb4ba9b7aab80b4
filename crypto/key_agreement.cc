#include "crypto/key_agreement.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "crypto/openssl_error.h"

namespace tenantkv::crypto {
namespace {

constexpr char kInfoTag[] = "tenantkv-agreement/1";

struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct KdfFree {
  void operator()(EVP_KDF* k) const { EVP_KDF_free(k); }
};
struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* c) const { EVP_KDF_CTX_free(c); }
};

Status BadPeer(const char* why) {
  return Status::InvalidArgument(std::string("the peer's public key ") + why, "bad_public_key");
}

}  // namespace

void AgreementKeyPair::FreeKey::operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }

Result<AgreementKeyPair> AgreementKeyPair::Generate() {
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1) return OpenSslError("X25519 keygen init");
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_keygen(ctx.get(), &raw) != 1) return OpenSslError("X25519 keygen");
  return Of(std::unique_ptr<EVP_PKEY, FreeKey>(raw));
}

Result<AgreementKeyPair> AgreementKeyPair::FromPrivateKey(const SecretBytes& private_key) {
  if (private_key.size() != 32) {
    return Status::InvalidArgument("an X25519 private key is 32 bytes", "bad_private_key");
  }
  std::unique_ptr<EVP_PKEY, FreeKey> key(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key.data(), private_key.size()));
  if (!key) return OpenSslError("X25519 private key");
  return Of(std::move(key));
}

Result<AgreementKeyPair> AgreementKeyPair::Of(std::unique_ptr<EVP_PKEY, FreeKey> key) {
  std::string pub(kAgreementPublicKeyBytes, '\0');
  size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<unsigned char*>(pub.data()), &len) != 1 ||
      len != kAgreementPublicKeyBytes) {
    return OpenSslError("X25519 public key");
  }
  return AgreementKeyPair(std::move(key), std::move(pub));
}

Result<SecretBytes> AgreementKeyPair::Derive(std::string_view peer_public, bool initiator,
                                             std::string_view context) const {
  if (peer_public.size() != kAgreementPublicKeyBytes) return BadPeer("is not 32 bytes");
  std::unique_ptr<EVP_PKEY, FreeKey> peer(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_X25519, nullptr, reinterpret_cast<const unsigned char*>(peer_public.data()), peer_public.size()));
  if (!peer) return BadPeer("is not an X25519 key");
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new(key_.get(), nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1) return OpenSslError("X25519 derive init");
  if (EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1) {
    (void)OpenSslError("X25519 peer");  // drains the queue
    return BadPeer("was refused");
  }
  SecretBytes shared(32);
  size_t len = shared.size();
  if (EVP_PKEY_derive(ctx.get(), shared.data(), &len) != 1 || len != shared.size()) {
    // OpenSSL refuses an all-zero result: the peer sent a small-order point.
    (void)OpenSslError("X25519 derive");
    return BadPeer("gives no usable secret");
  }
  std::string info(kInfoTag);
  info += initiator ? public_key_ : std::string(peer_public);
  info += initiator ? std::string(peer_public) : public_key_;
  info += context;
  std::unique_ptr<EVP_KDF, KdfFree> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (!kdf) return OpenSslError("HKDF fetch");
  std::unique_ptr<EVP_KDF_CTX, KdfCtxFree> kctx(EVP_KDF_CTX_new(kdf.get()));
  if (!kctx) return OpenSslError("HKDF context");
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, shared.data(), shared.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end(),
  };
  SecretBytes out(32);
  if (EVP_KDF_derive(kctx.get(), out.data(), out.size(), params) != 1) return OpenSslError("HKDF");
  return out;
}

}  // namespace tenantkv::crypto
