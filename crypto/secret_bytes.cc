#include "crypto/secret_bytes.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <utility>

namespace tenantkv::crypto {
namespace {

constexpr size_t kDefaultHeapBytes = size_t{4} << 20;
constexpr size_t kMinHeapBytes = size_t{64} << 10;
constexpr size_t kHeapMinAlloc = 16;  // a power of two; a 32-byte key takes 32

size_t PageRound(size_t n) {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return (n + page - 1) / page * page;
}

std::once_flag heap_once;
std::atomic<size_t> heap_size{0};
std::atomic<bool> heap_locked{false};

#if defined(__SANITIZE_ADDRESS__)
#define TKV_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TKV_ADDRESS_SANITIZER 1
#endif
#endif

// CRYPTO_secure_malloc_init's answer: 1, set up and locked; 2, set up,
// not all of it locked; 0, none.
void SetUpHeap(size_t bytes) {
#ifdef TKV_ADDRESS_SANITIZER
  // Not under AddressSanitizer: once the heap exists OpenSSL keeps some of
  // its own state there (its random generator's), whose pointers to
  // ordinary heap memory LeakSanitizer cannot see, so it reports those
  // objects as leaks. Keys then take a mapping each, as without a heap.
  (void)bytes;
#else
  const int rc = CRYPTO_secure_malloc_init(bytes, kHeapMinAlloc);
  if (rc == 0) return;
  heap_size = bytes;
  heap_locked = rc == 1;
#endif
}

}  // namespace

Status InitSecureHeap(size_t bytes) {
  if (bytes < kMinHeapBytes || (bytes & (bytes - 1)) != 0) {
    return Status::InvalidArgument("the secure heap's size must be a power of two of at least 64 KiB",
                                   "invalid_secure_heap");
  }
  bool ran = false;
  std::call_once(heap_once, [&] {
    ran = true;
    SetUpHeap(bytes);
  });
  if (!ran) return Status::FailedPrecondition("the secure heap is already set up", "secure_heap_set");
  return Status::Ok();
}

SecureHeapStats GetSecureHeapStats() {
  SecureHeapStats st;
  st.size = heap_size.load();
  st.locked = heap_locked.load();
  if (st.size > 0) st.used = CRYPTO_secure_used();
  return st;
}

SecretBytes::SecretBytes(size_t size) {
  if (size == 0) return;
  std::call_once(heap_once, [] { SetUpHeap(kDefaultHeapBytes); });
  if (heap_size.load(std::memory_order_relaxed) > 0) {
    // A full heap leaves an error on the thread's OpenSSL queue: dropped,
    // so that no later OpenSSL call reports it as its own.
    ERR_set_mark();
    void* p = OPENSSL_secure_zalloc(size);
    ERR_pop_to_mark();
    if (p != nullptr) {
      data_ = static_cast<uint8_t*>(p);
      size_ = size;
      locked_ = heap_locked.load(std::memory_order_relaxed);
      return;
    }
  }
  mapped_ = PageRound(size);
  void* p = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) std::abort();
  data_ = static_cast<uint8_t*>(p);
  size_ = size;
  locked_ = mlock(p, mapped_) == 0;
  // Best effort: older kernels may not know MADV_DONTDUMP.
  (void)madvise(p, mapped_, MADV_DONTDUMP);
}

SecretBytes::~SecretBytes() { Release(); }

void SecretBytes::Release() {
  if (data_ == nullptr) return;
  if (mapped_ == 0) {
    OPENSSL_secure_clear_free(data_, size_);  // wipes, then frees
  } else {
    OPENSSL_cleanse(data_, mapped_);
    if (locked_) munlock(data_, mapped_);
    munmap(data_, mapped_);
  }
  data_ = nullptr;
  size_ = 0;
  mapped_ = 0;
  locked_ = false;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, 0)),
      locked_(std::exchange(other.locked_, false)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, 0);
    locked_ = std::exchange(other.locked_, false);
  }
  return *this;
}

Result<SecretBytes> SecretBytes::Random(size_t size) {
  SecretBytes s(size);
  if (size > 0 && RAND_bytes(s.data(), static_cast<int>(size)) != 1) {
    return Status::Internal("the random number generator failed");
  }
  return s;
}

SecretBytes SecretBytes::Clone() const {
  SecretBytes copy(size_);
  for (size_t i = 0; i < size_; ++i) copy.data_[i] = data_[i];
  return copy;
}

bool SecretBytes::Equals(const SecretBytes& other) const {
  return size_ == other.size_ && CRYPTO_memcmp(data_, other.data_, size_) == 0;
}

}  // namespace tenantkv::crypto
