#include "crypto/random.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <array>
#include <atomic>
#include <cstring>
#include <mutex>

#include "crypto/hash.h"
#include "crypto/openssl_error.h"

namespace tenantkv::crypto {
namespace {

// Bumped in a forked child: each thread's buffer remembers the generation
// it was filled in and is dropped when it differs.
std::atomic<uint64_t> g_fork_generation{0};
void OnForkChild() { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }

struct NonceBuffer {
  std::array<uint8_t, kNonceBufferBytes> bytes;
  size_t next = kNonceBufferBytes;  // first unused byte; all used at start
  uint64_t generation = 0;
  ~NonceBuffer() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

}  // namespace

Status RandomBytes(uint8_t* out, size_t n) {
  if (n == 0) return Status::Ok();
  if (RAND_bytes(out, static_cast<int>(n)) != 1) return OpenSslError("RAND_bytes");
  return Status::Ok();
}

Result<std::string> RandomHex(size_t n) {
  std::string raw(n, '\0');
  TKV_RETURN_IF_ERROR(RandomBytes(reinterpret_cast<uint8_t*>(raw.data()), n));
  return HexEncode(raw);
}

Status RandomNonce(uint8_t* out, size_t n) {
  static std::once_flag registered;
  std::call_once(registered, [] { pthread_atfork(nullptr, nullptr, &OnForkChild); });
  if (n > kNonceBufferBytes / 4) return RandomBytes(out, n);  // large: not worth buffering
  thread_local NonceBuffer buf;
  const uint64_t gen = g_fork_generation.load(std::memory_order_relaxed);
  if (buf.generation != gen) {
    OPENSSL_cleanse(buf.bytes.data(), buf.bytes.size());
    buf.next = kNonceBufferBytes;
    buf.generation = gen;
  }
  if (kNonceBufferBytes - buf.next < n) {
    if (RAND_bytes(buf.bytes.data(), static_cast<int>(buf.bytes.size())) != 1) {
      buf.next = kNonceBufferBytes;
      return OpenSslError("RAND_bytes");
    }
    buf.next = 0;
  }
  std::memcpy(out, buf.bytes.data() + buf.next, n);
  OPENSSL_cleanse(buf.bytes.data() + buf.next, n);
  buf.next += n;
  return Status::Ok();
}

}  // namespace tenantkv::crypto
