#include "tests/testing/test_certs.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>

namespace tenantkv::testing {
namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

Key NewKey() { return Key(EVP_EC_gen("P-256"), EVP_PKEY_free); }

bool AddExt(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value);
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

struct CertSpec {
  std::string cn;
  bool ca = false;
  std::string san;  // "" = none
  const char* eku = nullptr;
};

// Signs with `issuer_key` as `issuer` (both null = self-signed).
Cert NewCert(EVP_PKEY* key, const CertSpec& spec, X509* issuer, EVP_PKEY* issuer_key) {
  static long serial = 1;
  Cert cert(X509_new(), X509_free);
  X509* x = cert.get();
  bool ok = X509_set_version(x, 2) == 1 && ASN1_INTEGER_set(X509_get_serialNumber(x), serial++) == 1 &&
            X509_gmtime_adj(X509_getm_notBefore(x), -3600) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(x), 86400) != nullptr && X509_set_pubkey(x, key) == 1;
  X509_NAME* name = X509_get_subject_name(x);
  ok = ok && X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                        reinterpret_cast<const unsigned char*>("tenantkv tests"), -1, -1, 0) == 1;
  ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                        reinterpret_cast<const unsigned char*>(spec.cn.c_str()), -1, -1, 0) == 1;
  ok = ok && X509_set_issuer_name(x, issuer != nullptr ? X509_get_subject_name(issuer) : name) == 1;
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : x, x, nullptr, nullptr, 0);
  ok = ok && AddExt(x, &ctx, NID_basic_constraints, spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  ok = ok && AddExt(x, &ctx, NID_key_usage,
                    spec.ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
  ok = ok && AddExt(x, &ctx, NID_subject_key_identifier, "hash");
  if (!spec.san.empty()) ok = ok && AddExt(x, &ctx, NID_subject_alt_name, spec.san.c_str());
  if (spec.eku != nullptr) ok = ok && AddExt(x, &ctx, NID_ext_key_usage, spec.eku);
  ok = ok && X509_sign(x, issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0;
  if (!ok) cert.reset();
  return cert;
}

bool WritePem(const std::string& path, X509* cert, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  const bool ok = cert != nullptr ? PEM_write_X509(f, cert) == 1
                                  : PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  return std::fclose(f) == 0 && ok;
}

}  // namespace

void MakeTestCerts(const std::string& dir, TestCerts* out) {
  Key ca_key = NewKey(), server_key = NewKey(), client_key = NewKey(), rogue_key = NewKey();
  ASSERT_TRUE(ca_key && server_key && client_key && rogue_key);
  Cert ca = NewCert(ca_key.get(), {"tenantkv test CA", true, "", nullptr}, nullptr, nullptr);
  ASSERT_TRUE(ca);
  Cert server = NewCert(server_key.get(), {"localhost", false, "IP:127.0.0.1,DNS:localhost", "serverAuth"},
                        ca.get(), ca_key.get());
  Cert client = NewCert(client_key.get(), {"operator", false, "", "clientAuth"}, ca.get(), ca_key.get());
  // Same subject as the good client, but signed by nobody the server trusts.
  Cert rogue = NewCert(rogue_key.get(), {"operator", false, "", "clientAuth"}, nullptr, nullptr);
  ASSERT_TRUE(server && client && rogue);
  out->dir = dir;
  out->ca_cert = dir + "/ca.pem";
  out->server_cert = dir + "/server.pem";
  out->server_key = dir + "/server.key";
  out->client_cert = dir + "/client.pem";
  out->client_key = dir + "/client.key";
  out->rogue_cert = dir + "/rogue.pem";
  out->rogue_key = dir + "/rogue.key";
  ASSERT_TRUE(WritePem(out->ca_cert, ca.get(), nullptr));
  ASSERT_TRUE(WritePem(out->server_cert, server.get(), nullptr));
  ASSERT_TRUE(WritePem(out->server_key, nullptr, server_key.get()));
  ASSERT_TRUE(WritePem(out->client_cert, client.get(), nullptr));
  ASSERT_TRUE(WritePem(out->client_key, nullptr, client_key.get()));
  ASSERT_TRUE(WritePem(out->rogue_cert, rogue.get(), nullptr));
  ASSERT_TRUE(WritePem(out->rogue_key, nullptr, rogue_key.get()));
}

}  // namespace tenantkv::testing
