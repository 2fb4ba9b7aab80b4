// MasterKeyring: master key versions held in this process's locked memory,
// for the providers that keep their keys outside an HSM (file, memory).
// Wraps with crypto/key_wrap.h, so blobs made by earlier releases (which
// called WrapKey with the raw master key) still unwrap. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/secret_bytes.h"
#include "crypto/status.h"

namespace tenantkv::crypto {

class MasterKeyring {
 public:
  MasterKeyring() = default;
  explicit MasterKeyring(std::map<uint32_t, SecretBytes> keys) : keys_(std::move(keys)) {}

  // 0 when empty.
  uint32_t Current() const;
  std::vector<uint32_t> Versions() const;
  bool Has(uint32_t version) const;

  Result<std::string> Wrap(uint32_t version, std::string_view context, const SecretBytes& plain) const;
  Result<SecretBytes> Unwrap(uint32_t version, std::string_view context, std::string_view wrapped) const;

  // Calls `fn` with every (version, key) ascending, under the lock (to
  // write the keys out); `fn` must not call back into the ring.
  template <typename Fn>
  Status ForEach(Fn&& fn) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [v, k] : keys_) TKV_RETURN_IF_ERROR(fn(v, k));
    return Status::Ok();
  }

  void Add(uint32_t version, SecretBytes key);
  // Wipes and forgets `version`; false if it was not there.
  bool Erase(uint32_t version);

 private:
  mutable std::mutex mu_;
  std::map<uint32_t, SecretBytes> keys_;  // GUARDED_BY(mu_)
};

}  // namespace tenantkv::crypto
