#include "engine/backup/export_handover.h"

#include <nlohmann/json.hpp>

#include "crypto/hash.h"
#include "crypto/key_wrap.h"
#include "crypto/random.h"

namespace tenantkv::engine {
namespace {

using nlohmann::json;

constexpr char kKdf[] = "pbkdf2-hmac-sha256";

std::string HandoverContext(const std::string& tenant, const std::string& key_id) {
  return "handover;tenant=" + tenant + ";export-key=" + key_id;
}

Status Bad(const std::string& what) {
  return Status::InvalidArgument("the handover is malformed: " + what, "bad_handover");
}

}  // namespace

Result<std::string> MakeHandover(const std::string& tenant, const ExportKey& key,
                                 std::string_view passphrase, uint32_t iterations) {
  TKV_RETURN_IF_ERROR(crypto::ValidatePassphrase(passphrase));
  std::string salt(crypto::kPassphraseSaltBytes, '\0');
  TKV_RETURN_IF_ERROR(crypto::RandomBytes(reinterpret_cast<uint8_t*>(salt.data()), salt.size()));
  TKV_ASSIGN_OR_RETURN(crypto::SecretBytes kek,
                       crypto::DeriveKeyFromPassphrase(passphrase, salt, iterations));
  TKV_ASSIGN_OR_RETURN(std::string wrapped,
                       crypto::WrapKey(kek, HandoverContext(tenant, key.key_id), key.key));
  return json({{"format", kHandoverFormat},
               {"tenant", tenant},
               {"export_key_id", key.key_id},
               {"kdf", kKdf},
               {"iterations", iterations},
               {"salt", crypto::HexEncode(salt)},
               {"wrapped", crypto::HexEncode(wrapped)}})
      .dump();
}

Result<OpenedHandover> OpenHandover(std::string_view text, std::string_view passphrase) {
  TKV_RETURN_IF_ERROR(crypto::ValidatePassphrase(passphrase));
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Bad("not a JSON object");
  OpenedHandover out;
  std::string salt_hex, wrapped_hex;
  uint32_t iterations = 0;
  try {
    if (j.at("format").get<std::string>() != kHandoverFormat) return Bad("unknown format");
    if (j.at("kdf").get<std::string>() != kKdf) return Bad("unknown kdf");
    out.tenant = j.at("tenant").get<std::string>();
    out.key.key_id = j.at("export_key_id").get<std::string>();
    iterations = j.at("iterations").get<uint32_t>();
    salt_hex = j.at("salt").get<std::string>();
    wrapped_hex = j.at("wrapped").get<std::string>();
  } catch (const json::exception&) {
    return Bad("a field is missing or of the wrong type");
  }
  auto salt = crypto::HexDecode(salt_hex);
  auto wrapped = crypto::HexDecode(wrapped_hex);
  if (!salt || !wrapped) return Bad("salt or wrapped key is not hex");
  auto kek = crypto::DeriveKeyFromPassphrase(passphrase, *salt, iterations);
  if (!kek.ok()) return Bad(kek.status().message());
  auto key = crypto::UnwrapKey(*kek, HandoverContext(out.tenant, out.key.key_id), *wrapped);
  if (!key.ok()) {
    return Status::InvalidArgument("the handover does not open with this passphrase (or was altered)",
                                   "handover_undecryptable");
  }
  out.key.key = std::move(key).value();
  return out;
}

}  // namespace tenantkv::engine
