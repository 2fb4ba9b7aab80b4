#include "crypto/secret_bytes.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <utility>

namespace tenantkv::crypto {
namespace {

size_t PageRound(size_t n) {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return (n + page - 1) / page * page;
}

}  // namespace

SecretBytes::SecretBytes(size_t size) {
  if (size == 0) return;
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
  OPENSSL_cleanse(data_, mapped_);
  if (locked_) munlock(data_, mapped_);
  munmap(data_, mapped_);
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
