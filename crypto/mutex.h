// Mutexes the thread-safety analysis can see (crypto/thread_annotations.h).
//
// Mutex is Abseil's absl::Mutex (8 bytes; std::mutex, a pthread mutex, is
// 40): every tenant holds several, and at 100,000 tenants on a node the
// difference is a sixth of an idle tenant's memory. SharedMutex stays
// std::shared_mutex: glibc's rwlock lets a thread that holds it shared take
// it shared again while a writer waits, where absl::Mutex would block it,
// so code written against the former could deadlock on the latter.
// The wrappers add the capability attributes clang's -Wthread-safety
// checks; semantics are the usual (not recursive; unlocking a mutex the
// thread does not hold is undefined behaviour).
//
// Debian builds Abseil without NDEBUG, which turns on its lock-order
// ("potential deadlock") tracking: a global graph updated on every
// acquisition, aborting on any cycle in the order locks were ever taken.
// The first Mutex made in a process turns it off (DisableLockOrderTracking),
// before any of ours can be locked.
//
// Prefer the scoped holders (MutexLock, WriterLock, ReaderLock) to calling
// Lock()/Unlock() by hand.
//
// CondVar waits on a Mutex (absl::CondVar). The wait lets go of the
// caller's lock for its duration and takes it back, so the caller stays the
// lock's owner throughout, as far as the analysis is concerned. It has no
// predicate overloads on purpose: a predicate lambda is a separate function
// to the analysis, which cannot know that it runs under the lock. Callers
// write the loop themselves, where the guarded reads are checked:
//
//   MutexLock lock(mu_);
//   while (!stopping_ && jobs_.empty()) cv_.Wait(mu_);
#pragma once

#include <absl/synchronization/mutex.h>
#include <absl/time/time.h>

#include <chrono>
#include <shared_mutex>

#include "crypto/thread_annotations.h"

namespace tenantkv {

class CondVar;

// Turns Abseil's lock-order tracking off, once per process (see above).
inline void DisableLockOrderTracking() {
  static const bool done = [] {
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
    return true;
  }();
  (void)done;
}

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() { DisableLockOrderTracking(); }
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ACQUIRE() { mu_.Lock(); }
  void Unlock() RELEASE() { mu_.Unlock(); }
  // True if the lock was free and is now held by the caller.
  bool TryLock() TRY_ACQUIRE(true) { return mu_.TryLock(); }
  // Tells the analysis the caller holds the lock where it cannot see it (a
  // callback run under the lock). Checks nothing at run time.
  void AssertHeld() const ASSERT_CAPABILITY(this) {}

 private:
  friend class CondVar;
  absl::Mutex mu_;
};

class CAPABILITY("shared_mutex") SharedMutex {
 public:
  SharedMutex() = default;
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  void LockShared() ACQUIRE_SHARED() { mu_.lock_shared(); }
  void UnlockShared() RELEASE_SHARED() { mu_.unlock_shared(); }
  void AssertHeld() const ASSERT_CAPABILITY(this) {}
  void AssertReaderHeld() const ASSERT_SHARED_CAPABILITY(this) {}

 private:
  std::shared_mutex mu_;
};

// Tag for the holders' adopting constructors: the caller already holds the
// lock (typically after a successful TryLock()).
struct AdoptLock {};
inline constexpr AdoptLock kAdoptLock{};

// Holds a Mutex for its scope. Unlock() and Lock() let a scope step out of
// the lock and back in (to run a job without it, say); the destructor
// unlocks only if the lock is held then.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  MutexLock(Mutex& mu, AdoptLock) REQUIRES(mu) : mu_(mu) {}
  ~MutexLock() RELEASE() {
    if (held_) mu_.Unlock();
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void Unlock() RELEASE() {
    mu_.Unlock();
    held_ = false;
  }
  void Lock() ACQUIRE() {
    mu_.Lock();
    held_ = true;
  }

 private:
  Mutex& mu_;
  bool held_ = true;
};

// Holds a SharedMutex exclusively for its scope.
class SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(SharedMutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  ~WriterLock() RELEASE() { mu_.Unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  SharedMutex& mu_;
};

// Holds a SharedMutex shared for its scope.
class SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(SharedMutex& mu) ACQUIRE_SHARED(mu) : mu_(mu) { mu_.LockShared(); }
  ~ReaderLock() RELEASE() { mu_.UnlockShared(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  SharedMutex& mu_;
};

// A condition variable for Mutex. Spurious wakeups happen: wait in a loop
// that re-checks the condition (see the file comment).
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Lets go of `mu` while it waits; holds it again on return.
  void Wait(Mutex& mu) REQUIRES(mu) { cv_.Wait(&mu.mu_); }

  // As Wait(), until a notification or `deadline` (steady clock). Returns
  // false if the deadline passed.
  // (Abseil waits for a duration: the deadline is turned into one here.)
  bool WaitUntil(Mutex& mu, std::chrono::steady_clock::time_point deadline) REQUIRES(mu) {
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return false;
    return !cv_.WaitWithTimeout(&mu.mu_, absl::FromChrono(left));
  }

  void Signal() { cv_.Signal(); }
  void SignalAll() { cv_.SignalAll(); }

 private:
  absl::CondVar cv_;
};

}  // namespace tenantkv
