// SecretBytes: a fixed-size buffer for key material.
//
// The memory comes from the secure heap (below): locked with mlock (never
// swapped), excluded from core dumps (MADV_DONTDUMP), and wiped when the
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
  // True when the bytes are locked in memory (mlock can fail under a low
  // RLIMIT_MEMLOCK; the bytes are still wiped and kept out of core dumps).
  bool locked() const { return locked_; }

  // Constant-time comparison of contents (sizes are not secret).
  bool Equals(const SecretBytes& other) const;

 private:
  void Release();

  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t mapped_ = 0;     // a mapping of its own (the secure heap was full); 0: in the heap
  bool locked_ = false;
};

// The secure heap that SecretBytes come from: OpenSSL's, one mapping locked
// in memory (mlock), kept out of core dumps and fenced by guard pages, its
// allocations wiped when freed. Keys are small (a data key is 32 bytes): in
// one heap a node holds hundreds of thousands of them, where a mapping per
// key took a 4 KiB page and one of the 65,530 memory maps Linux allows a
// process. When the heap is full, a SecretBytes gets a mapping of its own,
// as before.
//
// Not set up in builds with AddressSanitizer (see secret_bytes.cc).
//
// Sets its size (a power of two, >= 64 KiB) before the first SecretBytes;
// without a call, the first SecretBytes sets up 4 MiB: about 131,000 keys
// of 32 bytes, within Linux's default 8 MiB RLIMIT_MEMLOCK.
// FailedPrecondition if the heap was already set up; InvalidArgument for a
// bad size.
Status InitSecureHeap(size_t bytes);

struct SecureHeapStats {
  size_t size = 0;     // 0: no heap (every SecretBytes has its own mapping)
  size_t used = 0;     // bytes allocated from it now
  bool locked = false;  // the whole heap is locked in memory
};
SecureHeapStats GetSecureHeapStats();

}  // namespace tenantkv::crypto
