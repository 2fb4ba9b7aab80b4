// SecretBytes: a fixed-size buffer for key material.
//
// The memory is page-aligned, locked with mlock (never swapped), excluded
// from core dumps (MADV_DONTDUMP) and wiped with OPENSSL_cleanse when the
// object is destroyed or moved from. It is move-only, has no operator<< and
// no conversion to a string, so key bytes cannot be copied or logged by
// accident. Not thread-safe for writes; concurrent reads are fine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crypto/status.h"

namespace tenantkv::crypto {

class SecretBytes {
 public:
  SecretBytes() = default;
  // Zero-filled buffer of `size` bytes. Aborts only if the process is out of
  // address space (like operator new).
  explicit SecretBytes(size_t size);
  ~SecretBytes();

  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  // `size` bytes from the CSPRNG.
  static Result<SecretBytes> Random(size_t size);
  // An explicit, visible copy (for handing a key to another owner).
  SecretBytes Clone() const;

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // True when mlock succeeded (it can fail under a low RLIMIT_MEMLOCK; the
  // bytes are still wiped and kept out of core dumps).
  bool locked() const { return locked_; }

  // Constant-time comparison of contents (sizes are not secret).
  bool Equals(const SecretBytes& other) const;

 private:
  void Release();

  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t mapped_ = 0;
  bool locked_ = false;
};

}  // namespace tenantkv::crypto
