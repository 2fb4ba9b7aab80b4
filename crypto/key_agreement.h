// A key two nodes agree on without sending it: ephemeral X25519 (RFC 7748)
// followed by HKDF-SHA256 (RFC 5869), over OpenSSL.
//
// For a tenant's move between nodes: its data keys travel from the source
// to the target wrapped under such a key, so that no one who reads the
// channel (a loopback cluster runs it without TLS; a TLS-terminating proxy
// could log it) learns them, and a recorded exchange opens nothing later,
// since both private keys are thrown away after it.
//
// Each side makes a key pair, sends its public key (32 bytes), and derives
// with the other's. The derivation binds both public keys, in the order
// (initiator's, responder's), and a context string, so a key made for one
// exchange or purpose is never the key of another. The private key lives
// in OpenSSL's secure heap (crypto/secret_bytes.h) and is wiped with the
// pair. Thread-compatible.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "crypto/secret_bytes.h"
#include "crypto/status.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace tenantkv::crypto {

inline constexpr size_t kAgreementPublicKeyBytes = 32;

class AgreementKeyPair {
 public:
  // A fresh pair from the CSPRNG.
  static Result<AgreementKeyPair> Generate();
  // The pair of a given 32-byte private key (known-answer tests).
  // InvalidArgument("bad_private_key") for another size.
  static Result<AgreementKeyPair> FromPrivateKey(const SecretBytes& private_key);

  // 32 raw bytes, to send to the peer.
  const std::string& public_key() const { return public_key_; }

  // The 32-byte key shared with the holder of `peer_public`:
  // HKDF-SHA256(ikm = X25519(own private, peer_public), salt = none,
  // info = "tenantkv-agreement/1" | initiator's public | responder's
  // public | context). `initiator` says which of the two this side is.
  // InvalidArgument("bad_public_key") for a peer key that is not 32 bytes
  // or that gives an all-zero secret (a small-order point).
  Result<SecretBytes> Derive(std::string_view peer_public, bool initiator, std::string_view context) const;

 private:
  struct FreeKey {
    void operator()(EVP_PKEY* k) const;
  };
  AgreementKeyPair(std::unique_ptr<EVP_PKEY, FreeKey> key, std::string public_key)
      : key_(std::move(key)), public_key_(std::move(public_key)) {}
  static Result<AgreementKeyPair> Of(std::unique_ptr<EVP_PKEY, FreeKey> key);

  std::unique_ptr<EVP_PKEY, FreeKey> key_;
  std::string public_key_;
};

}  // namespace tenantkv::crypto
