#include "crypto/keys/master_keyring.h"

#include "crypto/key_wrap.h"

namespace tenantkv::crypto {
namespace {
Status NoVersion(uint32_t version) {
  return Status::NotFound("no master key version " + std::to_string(version), "master_key_not_found");
}
}  // namespace

uint32_t MasterKeyring::Current() const {
  MutexLock lock(mu_);
  return keys_.empty() ? 0 : keys_.rbegin()->first;
}

std::vector<uint32_t> MasterKeyring::Versions() const {
  MutexLock lock(mu_);
  std::vector<uint32_t> out;
  for (const auto& [v, k] : keys_) out.push_back(v);
  return out;
}

bool MasterKeyring::Has(uint32_t version) const {
  MutexLock lock(mu_);
  return keys_.count(version) != 0;
}

Result<std::string> MasterKeyring::Wrap(uint32_t version, std::string_view context,
                                        const SecretBytes& plain) const {
  MutexLock lock(mu_);
  auto it = keys_.find(version);
  if (it == keys_.end()) return NoVersion(version);
  return WrapKey(it->second, context, plain);
}

Result<SecretBytes> MasterKeyring::Unwrap(uint32_t version, std::string_view context,
                                          std::string_view wrapped) const {
  MutexLock lock(mu_);
  auto it = keys_.find(version);
  if (it == keys_.end()) return NoVersion(version);
  return UnwrapKey(it->second, context, wrapped);
}

void MasterKeyring::Add(uint32_t version, SecretBytes key) {
  MutexLock lock(mu_);
  keys_[version] = std::move(key);
}

bool MasterKeyring::Erase(uint32_t version) {
  MutexLock lock(mu_);
  return keys_.erase(version) != 0;  // SecretBytes wipes itself
}

}  // namespace tenantkv::crypto
