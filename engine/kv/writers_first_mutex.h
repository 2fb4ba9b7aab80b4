// WritersFirstMutex: a reader-writer lock that a waiting writer gets ahead
// of new readers (glibc's PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP).
// The default rwlock lets readers in while a writer waits, so a steady
// stream of overlapping readers can keep a writer out for as long as it
// lasts. Readers must not take it recursively (a waiting writer would
// block the second acquisition).
#pragma once

#include <pthread.h>

#include <cstdlib>

#include "crypto/thread_annotations.h"

namespace tenantkv::engine {

class CAPABILITY("shared_mutex") WritersFirstMutex {
 public:
  WritersFirstMutex() {
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    if (pthread_rwlock_init(&mu_, &attr) != 0) std::abort();
    pthread_rwlockattr_destroy(&attr);
  }
  ~WritersFirstMutex() { pthread_rwlock_destroy(&mu_); }
  WritersFirstMutex(const WritersFirstMutex&) = delete;
  WritersFirstMutex& operator=(const WritersFirstMutex&) = delete;

  void Lock() ACQUIRE() { pthread_rwlock_wrlock(&mu_); }
  void Unlock() RELEASE() { pthread_rwlock_unlock(&mu_); }
  void LockShared() ACQUIRE_SHARED() { pthread_rwlock_rdlock(&mu_); }
  void UnlockShared() RELEASE_SHARED() { pthread_rwlock_unlock(&mu_); }

 private:
  pthread_rwlock_t mu_;
};

// Holds a WritersFirstMutex exclusively for its scope.
class SCOPED_CAPABILITY WritersFirstWriterLock {
 public:
  explicit WritersFirstWriterLock(WritersFirstMutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  ~WritersFirstWriterLock() RELEASE() { mu_.Unlock(); }
  WritersFirstWriterLock(const WritersFirstWriterLock&) = delete;
  WritersFirstWriterLock& operator=(const WritersFirstWriterLock&) = delete;

 private:
  WritersFirstMutex& mu_;
};

// Holds a WritersFirstMutex shared for its scope.
class SCOPED_CAPABILITY WritersFirstReaderLock {
 public:
  explicit WritersFirstReaderLock(WritersFirstMutex& mu) ACQUIRE_SHARED(mu) : mu_(mu) { mu_.LockShared(); }
  ~WritersFirstReaderLock() RELEASE() { mu_.UnlockShared(); }
  WritersFirstReaderLock(const WritersFirstReaderLock&) = delete;
  WritersFirstReaderLock& operator=(const WritersFirstReaderLock&) = delete;

 private:
  WritersFirstMutex& mu_;
};

}  // namespace tenantkv::engine
